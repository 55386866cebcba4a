// Every list the app shows comes as a page: its items and where the next page starts (null: none). The API does not
// page yet (issue 12 adds `limit`/`next` cursors); when it does, an api.ts passes `next` on and nothing else changes.
export interface Paged<T> {
  items: T[];
  next: string | null;
}

export function onePage<T>(items: T[]): Paged<T> {
  return { items, next: null };
}
