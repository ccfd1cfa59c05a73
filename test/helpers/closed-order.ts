/**
 * Watches the `closed` events of the entities of docs/lifecycle.md (call, leg, fork, dialog): each has
 * `close()`, a `closed` getter and a `closed` event.
 */
import assert from 'node:assert/strict';

/** An entity of docs/lifecycle.md's shape. */
export interface Closable {
  readonly closed: boolean;
  close(): void;
  on(event: 'closed', listener: () => void): void;
}

/**
 * Checks every entity is open and records, in `order`, the name of each whose `closed` fires (a repeat
 * shows up twice). `onClosed` runs inside the event, for what must be read at that moment.
 */
export function watchClosed(
  entities: Readonly<Record<string, Closable>>,
  onClosed?: (name: string) => void,
): string[] {
  const order: string[] = [];
  for (const [name, entity] of Object.entries(entities)) {
    assert.equal(entity.closed, false, `${name} is open while the call is up`);
    entity.on('closed', () => {
      order.push(name);
      onClosed?.(name);
    });
  }
  return order;
}

/** Closes every entity again (it must change nothing) and checks each reports `closed`. */
export function closeAgain(entities: Readonly<Record<string, Closable>>): void {
  for (const [name, entity] of Object.entries(entities)) {
    entity.close();
    assert.equal(entity.closed, true, `${name}.closed`);
  }
}
