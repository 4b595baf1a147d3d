import { useEffect, useRef } from 'react';
import type { Paged } from '../usePaged';
import { ErrorState, Spinner } from './States';

/**
 * The end of a paged list: loads the next page as it scrolls into view (the observer is
 * renewed after every page, so a page too short to fill the screen is followed by the
 * next), with a button for keyboards and a visible error with retry.
 */
export function LoadMore<T>({ paged, label }: { paged: Paged<T>; label: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const loadMore = useRef(paged.loadMore);
  loadMore.current = paged.loadMore;
  useEffect(() => {
    const element = ref.current;
    if (!element || !paged.hasMore || paged.loading) return;
    const observer = new IntersectionObserver((entries) => entries.some((entry) => entry.isIntersecting) && loadMore.current(), {
      rootMargin: '600px 0px',
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, [paged.hasMore, paged.loading, paged.items.length]);

  if (paged.error && paged.items.length > 0) return <ErrorState error={paged.error} onRetry={paged.loadMore} />;
  return (
    <div ref={ref} className="load-more">
      {paged.loading && paged.items.length > 0 && <Spinner label={`Loading more ${label}…`} />}
      {!paged.loading && paged.hasMore && (
        <button type="button" className="button" onClick={paged.loadMore}>
          Load more {label}
        </button>
      )}
    </div>
  );
}
