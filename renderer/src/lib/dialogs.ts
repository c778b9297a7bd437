/**
 * Modal dialogs close on Esc, the top-most first (a folder picker over the export dialog):
 * `use:modal={close}` on a dialog puts it on the stack and focuses it; App.svelte's one Esc
 * handler calls closeTopDialog() and stops a run only when no dialog was open.
 */
const open: (() => void)[] = [];

export function modal(node: HTMLElement, close: () => void): { update(close: () => void): void; destroy(): void } {
  let current = close;
  const entry = () => current();
  open.push(entry);
  node.focus();
  return {
    update(next) {
      current = next;
    },
    destroy() {
      const i = open.indexOf(entry);
      if (i >= 0) open.splice(i, 1);
    },
  };
}

/** Closes the dialog opened last; false when none is open. */
export function closeTopDialog(): boolean {
  const top = open.at(-1);
  if (!top) return false;
  top();
  return true;
}

/** A dialog's own keydown handler: Esc inside it closes the top-most dialog, and goes no further. */
export function escapeCloses(e: KeyboardEvent): void {
  if (e.key !== 'Escape') return;
  e.stopPropagation();
  closeTopDialog();
}
