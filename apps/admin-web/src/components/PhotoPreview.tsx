import { useEffect, useState } from 'react';
import { api, type FaceView, type PhotoDetail } from '../api';
import { Link } from '../router';
import { Dialog } from './Dialog';
import { ErrorState, Spinner } from './States';

/**
 * A photo with every face's box drawn over it (SVG in the original's pixel space, so it
 * scales with the image) and the person's name under each box; the face the user clicked
 * is highlighted. ←/→ step through `faces`.
 */
export function PhotoPreview({
  faces,
  index,
  onIndexChange,
  onClose,
}: {
  faces: FaceView[];
  index: number;
  onIndexChange(index: number): void;
  onClose(): void;
}) {
  const face = faces[index];
  const [photo, setPhoto] = useState<PhotoDetail | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [natural, setNatural] = useState<{ width: number; height: number } | null>(null);

  useEffect(() => {
    const abort = new AbortController();
    setPhoto(null);
    setError(null);
    setNatural(null);
    api.getPhoto(face.photoId, abort.signal).then(setPhoto, (caught: unknown) => !abort.signal.aborted && setError(caught));
    return () => abort.abort();
  }, [face.photoId]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'ArrowRight' && index < faces.length - 1) onIndexChange(index + 1);
      if (event.key === 'ArrowLeft' && index > 0) onIndexChange(index - 1);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [index, faces.length, onIndexChange]);

  // Boxes are in the EXIF-rotated original's pixels; the preview is that image scaled. If the
  // stored size is the unrotated one, the preview's aspect ratio tells us to swap it.
  const space = (() => {
    if (!photo?.width || !photo.height) return natural;
    if (!natural) return { width: photo.width, height: photo.height };
    const sameAspect = Math.abs(photo.width / photo.height - natural.width / natural.height) < 0.02;
    return sameAspect ? { width: photo.width, height: photo.height } : { width: photo.height, height: photo.width };
  })();
  const stroke = space ? Math.max(2, Math.round(Math.max(space.width, space.height) / 400)) : 2;
  const fontSize = space ? Math.max(12, Math.round(Math.max(space.width, space.height) / 55)) : 14;

  return (
    <Dialog
      wide
      className="preview-dialog"
      title={photo?.fileName ?? 'Photo'}
      onClose={onClose}
      footer={
        <>
          <span className="muted">
            Face {index + 1} of {faces.length} · use ← → to browse
          </span>
          <span className="spacer" />
          <button type="button" className="button" disabled={index === 0} onClick={() => onIndexChange(index - 1)}>
            Previous
          </button>
          <button type="button" className="button" disabled={index === faces.length - 1} onClick={() => onIndexChange(index + 1)}>
            Next
          </button>
          <a className="button" href={face.photoUrl} target="_blank" rel="noreferrer">
            Original
          </a>
        </>
      }
    >
      {error ? (
        <ErrorState error={error} />
      ) : (
        <figure className="preview" data-testid="photo-preview">
          {!natural && <Spinner label="Loading photo…" />}
          <div className="preview__stage" style={natural ? undefined : { visibility: 'hidden', position: 'absolute' }}>
            <img
              src={face.photoPreviewUrl}
              alt={photo?.fileName ?? 'photo'}
              onLoad={(event) => setNatural({ width: event.currentTarget.naturalWidth, height: event.currentTarget.naturalHeight })}
            />
            {photo && space && (
              <svg className="preview__boxes" viewBox={`0 0 ${space.width} ${space.height}`} preserveAspectRatio="none" aria-label="Faces in this photo">
                {photo.faces.map((other) => {
                  const current = other.id === face.id;
                  const label = other.personName ?? (other.personId ? 'Unnamed' : other.kind === 'face' ? 'Not grouped' : other.kind);
                  return (
                    <g key={other.id} className={`preview__box${current ? ' is-current' : ''}`} data-testid="face-box">
                      <rect
                        x={other.box.x}
                        y={other.box.y}
                        width={other.box.width}
                        height={other.box.height}
                        rx={stroke * 2}
                        strokeWidth={current ? stroke * 1.6 : stroke}
                      />
                      <text
                        x={other.box.x + other.box.width / 2}
                        y={Math.min(space.height - 4, other.box.y + other.box.height + fontSize * 1.25)}
                        fontSize={fontSize}
                        textAnchor="middle"
                        strokeWidth={fontSize / 5}
                      >
                        {label}
                      </text>
                    </g>
                  );
                })}
              </svg>
            )}
          </div>
          {photo && (
            <figcaption className="preview__people">
              {photo.faces
                .filter((other) => other.personId)
                .map((other) => (
                  <Link key={other.id} to={`/people/${other.personId}`} className="chip" onClick={onClose}>
                    {other.personName ?? 'Unnamed person'}
                  </Link>
                ))}
            </figcaption>
          )}
        </figure>
      )}
    </Dialog>
  );
}
