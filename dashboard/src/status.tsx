/** A status as a coloured badge with its word (colour is never the only signal). */
export function Status(props: { status: string; label?: string }) {
  return (
    <span class={`status s-${props.status}`} data-status={props.status}>
      {props.label ?? props.status}
    </span>
  );
}
