import type { ReactNode } from 'react';

export function Spinner({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="state state--loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state--empty">
      <h2>{title}</h2>
      {children}
    </div>
  );
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?(): void }) {
  return (
    <div className="state state--error" role="alert">
      <h2>Something went wrong</h2>
      <p>{error instanceof Error ? error.message : String(error)}</p>
      {onRetry && (
        <button type="button" className="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** A face crop; a placeholder silhouette when there is none or it fails to load. */
export function FaceImage({ src, alt, size }: { src: string | null; alt: string; size?: 'small' | 'large' }) {
  return (
    <span className={`face-image face-image--${size ?? 'medium'}`}>
      {src ? <img src={src} alt={alt} loading="lazy" decoding="async" width={112} height={112} draggable={false} /> : null}
    </span>
  );
}
