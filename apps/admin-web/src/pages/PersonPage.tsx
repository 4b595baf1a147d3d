import { useCallback, useEffect, useState, type FormEvent, type KeyboardEvent, type MouseEvent } from 'react';
import { api, ApiError, type FaceView, type MergeResult, type PersonView } from '../api';
import { LoadMore } from '../components/LoadMore';
import { MergeDialog } from '../components/MergeDialog';
import { MoveDialog, type MoveTarget } from '../components/MoveDialog';
import { PhotoPreview } from '../components/PhotoPreview';
import { EmptyState, ErrorState, FaceImage, Spinner } from '../components/States';
import { useToast } from '../components/Toasts';
import { personLabel, plural } from '../format';
import { useInvalidation } from '../invalidation';
import { Link, useRouter } from '../router';
import { usePaged } from '../usePaged';
import { EyeIcon, EyeOffIcon } from './PeoplePage';

export function PersonPage({ personId }: { personId: string }) {
  const toast = useToast();
  const { navigate } = useRouter();
  const { version, invalidate } = useInvalidation();
  const [person, setPerson] = useState<PersonView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [selected, setSelected] = useState(new Set<string>());
  const [lastClicked, setLastClicked] = useState<number | null>(null);
  const [previewIndex, setPreviewIndex] = useState<number | null>(null);
  const [dialog, setDialog] = useState<'merge' | 'move' | null>(null);
  const [busy, setBusy] = useState(false);

  const loadPerson = useCallback(
    (signal?: AbortSignal) =>
      api.getPerson(personId, signal).then(
        (loaded) => {
          setPerson(loaded);
          setError(null);
        },
        (caught: unknown) => !signal?.aborted && setError(caught),
      ),
    [personId],
  );
  useEffect(() => {
    setPerson(null);
    setError(null);
    setSelected(new Set());
    setPreviewIndex(null);
  }, [personId]);
  useEffect(() => {
    const abort = new AbortController();
    void loadPerson(abort.signal);
    return () => abort.abort();
  }, [loadPerson, version]);

  const faces = usePaged<FaceView>(`${personId}|${version}`, (cursor, signal) => api.listFaces(personId, cursor, signal));

  if (error) {
    if (error instanceof ApiError && error.status === 404) {
      return (
        <EmptyState title="This person is gone">
          <p>They may have been merged into someone else or lost their last face.</p>
          <Link to="/">Back to people</Link>
        </EmptyState>
      );
    }
    return <ErrorState error={error} onRetry={() => loadPerson()} />;
  }
  if (!person) return <Spinner label="Loading person…" />;

  const toggle = (index: number, event: MouseEvent | KeyboardEvent) => {
    const face = faces.items[index];
    setSelected((current) => {
      const next = new Set(current);
      const select = !current.has(face.id);
      // Shift-click selects the whole range from the last clicked face.
      const [from, to] = event.shiftKey && lastClicked !== null ? [Math.min(lastClicked, index), Math.max(lastClicked, index)] : [index, index];
      for (let i = from; i <= to; i++) {
        if (select) next.add(faces.items[i].id);
        else next.delete(faces.items[i].id);
      }
      return next;
    });
    setLastClicked(index);
  };

  const afterFacesLeft = async (faceIds: string[], message: string) => {
    setSelected(new Set());
    faces.setItems((items) => items.filter((face) => !faceIds.includes(face.id)));
    toast({ message });
    try {
      await loadPerson();
    } finally {
      invalidate();
    }
  };

  const runOnSelected = async (action: (faceId: string) => Promise<FaceView>, done: (count: number) => string) => {
    const ids = [...selected];
    setBusy(true);
    try {
      for (const id of ids) await action(id);
      await afterFacesLeft(ids, done(ids.length));
    } catch (caught) {
      toast({ message: (caught as Error).message, tone: 'error' });
      invalidate();
    } finally {
      setBusy(false);
    }
  };

  const move = async (target: MoveTarget) => {
    const ids = [...selected];
    let destination: string | null = null;
    for (const id of ids) {
      // Faces after the first go to the same person, even when the first created it.
      const moved = await api.moveFace(id, destination ? { personId: destination } : 'personId' in target ? { personId: target.personId } : { newPerson: target.newPerson });
      destination = moved.personId;
    }
    setDialog(null);
    await afterFacesLeft(ids, `Moved ${plural(ids.length, 'face')} to ${target.label}`);
  };

  const onMerged = (result: MergeResult) => {
    setDialog(null);
    setPerson(result.person);
    invalidate();
    const count = result.merge.mergedPersonIds.length;
    toast({
      message: `Merged ${plural(count, 'person', 'people')} into ${personLabel(result.person)}`,
      action: {
        label: 'Undo',
        run: async () => {
          try {
            await api.undoMerge(result.merge.id);
            toast({ message: 'Merge undone' });
          } catch (caught) {
            toast({ message: `Could not undo: ${(caught as Error).message}`, tone: 'error' });
          }
          invalidate();
        },
      },
    });
  };

  const setHidden = async (hidden: boolean) => {
    try {
      setPerson(await api.updatePerson(person.id, { hidden }));
      invalidate();
      toast({ message: hidden ? `${personLabel(person)} is hidden from the people list` : `${personLabel(person)} is visible again` });
    } catch (caught) {
      toast({ message: (caught as Error).message, tone: 'error' });
    }
  };

  const setCover = async (faceId: string) => {
    try {
      setPerson(await api.updatePerson(person.id, { coverFaceId: faceId }));
      setSelected(new Set());
      invalidate();
      toast({ message: 'Cover picture changed' });
    } catch (caught) {
      toast({ message: (caught as Error).message, tone: 'error' });
    }
  };

  const selectedCount = selected.size;
  return (
    <section className="page person-page" aria-labelledby="person-title">
      <Link to="/" className="back-link">
        ← People
      </Link>
      <header className="person-header">
        <FaceImage src={person.coverThumbnailUrl} alt="" size="large" />
        <div className="person-header__text">
          <InlineName person={person} onRenamed={(renamed) => (setPerson(renamed), invalidate())} />
          <p className="muted" data-testid="person-counts">
            {plural(person.faceCount, 'face')} · {plural(person.photoCount, 'photo')}
            {person.hidden ? ' · hidden' : ''}
          </p>
        </div>
        <div className="person-header__actions">
          <button type="button" className="button" onClick={() => setHidden(!person.hidden)}>
            {person.hidden ? <EyeIcon /> : <EyeOffIcon />}
            {person.hidden ? 'Unhide' : 'Hide'}
          </button>
          <button type="button" className="button button--primary" onClick={() => setDialog('merge')}>
            Merge…
          </button>
        </div>
      </header>

      {faces.error && faces.items.length === 0 ? (
        <ErrorState error={faces.error} onRetry={faces.reload} />
      ) : faces.loading && faces.items.length === 0 ? (
        <Spinner label="Loading faces…" />
      ) : faces.items.length === 0 ? (
        <EmptyState title="No faces left">
          <p>
            Every face was moved elsewhere. <button type="button" className="link-button" onClick={() => navigate('/')}>Back to people</button>
          </p>
        </EmptyState>
      ) : (
        <>
          <p className="hint muted">Click a face to see its photo; tick faces to move or remove them (Shift selects a range).</p>
          <ul className="face-grid" aria-label="Faces">
            {faces.items.map((face, index) => {
              const isSelected = selected.has(face.id);
              return (
                <li key={face.id} className={`face-tile${isSelected ? ' is-selected' : ''}`} data-testid="face-tile" data-face-id={face.id}>
                  <button type="button" className="face-tile__open" onClick={() => setPreviewIndex(index)} aria-label={`Open photo of face ${index + 1}`}>
                    <FaceImage src={face.thumbnailUrl} alt="" />
                  </button>
                  <label className="face-tile__select" title="Select" onClick={(event) => event.stopPropagation()}>
                    <input
                      type="checkbox"
                      checked={isSelected}
                      aria-label={`Select face ${index + 1}`}
                      onChange={() => undefined}
                      onClick={(event) => toggle(index, event)}
                    />
                  </label>
                  {face.id === person.coverFaceId && <span className="badge face-tile__badge">Cover</span>}
                  {face.assignedBy === 'user' && face.id !== person.coverFaceId && (
                    <span className="badge badge--quiet face-tile__badge" title="Placed here by you">
                      ✓
                    </span>
                  )}
                </li>
              );
            })}
          </ul>
          <LoadMore paged={faces} label="faces" />
        </>
      )}

      {selectedCount > 0 && (
        <div className="selection-bar" role="toolbar" aria-label="Selected faces">
          <strong>{plural(selectedCount, 'face')} selected</strong>
          <button type="button" className="button button--primary" disabled={busy} onClick={() => setDialog('move')}>
            Move to…
          </button>
          <button
            type="button"
            className="button"
            disabled={busy}
            onClick={() => runOnSelected(api.removeFace, (count) => `Removed ${plural(count, 'face')} from ${personLabel(person)}`)}
          >
            Not {personLabel(person)}
          </button>
          <button type="button" className="button" disabled={busy} onClick={() => runOnSelected(api.notAFace, (count) => `Marked ${plural(count, 'face')} as not a face`)}>
            Not a face
          </button>
          {selectedCount === 1 && (
            <button type="button" className="button" disabled={busy} onClick={() => setCover([...selected][0])}>
              Use as cover
            </button>
          )}
          <span className="spacer" />
          <button type="button" className="button button--ghost" onClick={() => setSelected(new Set())}>
            Clear
          </button>
        </div>
      )}

      {previewIndex !== null && faces.items[previewIndex] && (
        <PhotoPreview faces={faces.items} index={previewIndex} onIndexChange={setPreviewIndex} onClose={() => setPreviewIndex(null)} />
      )}
      {dialog === 'merge' && <MergeDialog target={person} onClose={() => setDialog(null)} onMerged={onMerged} />}
      {dialog === 'move' && <MoveDialog faceCount={selectedCount} from={person} onClose={() => setDialog(null)} onMove={move} />}
    </section>
  );
}

/** The person's name as a heading; click (or Enter) to edit in place, Enter saves, Escape cancels. */
function InlineName({ person, onRenamed }: { person: PersonView; onRenamed(person: PersonView): void }) {
  const [editing, setEditing] = useState(false);
  const [value, setValue] = useState(person.name ?? '');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const save = async (event: FormEvent) => {
    event.preventDefault();
    const name = value.trim();
    if (name === (person.name ?? '')) return setEditing(false);
    setBusy(true);
    setError(null);
    try {
      onRenamed(await api.updatePerson(person.id, { name: name || null }));
      setEditing(false);
    } catch (caught) {
      setError((caught as Error).message);
    } finally {
      setBusy(false);
    }
  };

  if (!editing) {
    return (
      <h1 id="person-title" className="person-name">
        <button
          type="button"
          className={`person-name__button${person.name ? '' : ' is-unnamed'}`}
          title="Rename"
          onClick={() => {
            setValue(person.name ?? '');
            setEditing(true);
          }}
        >
          {person.name ?? 'Unnamed person — add a name'}
          <PencilIcon />
        </button>
      </h1>
    );
  }
  return (
    <form className="person-name person-name--editing" onSubmit={save}>
      <h1 id="person-title" className="visually-hidden">
        Rename {personLabel(person)}
      </h1>
      <input
        autoFocus
        className="input input--title"
        aria-label="Name"
        placeholder="Name"
        maxLength={100}
        value={value}
        disabled={busy}
        onChange={(event) => setValue(event.target.value)}
        onKeyDown={(event) => event.key === 'Escape' && (event.preventDefault(), setEditing(false))}
      />
      <button type="submit" className="button button--primary" disabled={busy}>
        Save
      </button>
      <button type="button" className="button button--ghost" onClick={() => setEditing(false)}>
        Cancel
      </button>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

function PencilIcon() {
  return (
    <svg className="pencil" viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round">
      <path d="M4 20h4L19 9l-4-4L4 16v4zM13.5 6.5l4 4" />
    </svg>
  );
}
