import { useCallback, useEffect, useRef, useState } from 'react';
import type { Page } from './api';

export interface Paged<T> {
  items: T[];
  loading: boolean;
  error: unknown;
  hasMore: boolean;
  loadMore(): void;
  reload(): void;
  setItems(update: (items: T[]) => T[]): void;
}

/**
 * Cursor pagination: the first page on mount and whenever `key` changes, the next page on
 * loadMore(). Answers of a superseded key are dropped.
 */
export function usePaged<T>(key: string, fetchPage: (cursor: string | null, signal: AbortSignal) => Promise<Page<T>>): Paged<T> {
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [hasMore, setHasMore] = useState(false);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [generation, setGeneration] = useState(0);
  const controller = useRef<AbortController | null>(null);
  const fetchRef = useRef(fetchPage);
  fetchRef.current = fetchPage;

  const load = useCallback((from: string | null, replace: boolean) => {
    controller.current?.abort();
    const abort = new AbortController();
    controller.current = abort;
    setLoading(true);
    setError(null);
    fetchRef
      .current(from, abort.signal)
      .then((page) => {
        if (abort.signal.aborted) return;
        setItems((current) => (replace ? page.items : [...current, ...page.items]));
        setCursor(page.nextCursor);
        setHasMore(page.nextCursor !== null);
        setLoading(false);
      })
      .catch((caught: unknown) => {
        if (abort.signal.aborted) return;
        setError(caught);
        setLoading(false);
      });
  }, []);

  useEffect(() => {
    load(null, true);
    return () => controller.current?.abort();
  }, [key, generation, load]);

  return {
    items,
    loading,
    error,
    hasMore,
    loadMore: () => {
      if (!loading && hasMore) load(cursor, false);
    },
    reload: () => setGeneration((value) => value + 1),
    setItems,
  };
}

