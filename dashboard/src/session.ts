import { createContext } from "preact";
import { useContext } from "preact/hooks";

/** Who is signed in: `actor` null for a read-only visitor, who sees no mutating buttons. */
export interface Session {
  actor: string | null;
  canWrite: boolean;
  publicRead: boolean;
  signIn(token: string): Promise<boolean>;
  signOut(): void;
}

export const SessionContext = createContext<Session>({
  actor: null,
  canWrite: false,
  publicRead: true,
  signIn: async () => false,
  signOut: () => {},
});

export function useSession(): Session {
  return useContext(SessionContext);
}
