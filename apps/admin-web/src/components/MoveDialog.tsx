import { useState } from 'react';
import type { PersonView } from '../api';
import { personLabel, plural } from '../format';
import { Dialog } from './Dialog';
import { PeopleChooser } from './PeopleChooser';

export type MoveTarget = { personId: string; label: string } | { newPerson: { name?: string }; label: string };

/** Where the selected faces should go: an existing person, or a new one (optionally named). */
export function MoveDialog({
  faceCount,
  from,
  onClose,
  onMove,
}: {
  faceCount: number;
  from: PersonView;
  onClose(): void;
  onMove(target: MoveTarget): Promise<void>;
}) {
  const [selected, setSelected] = useState(new Map<string, PersonView>());
  const [asNew, setAsNew] = useState(false);
  const [newName, setNewName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const chosen = [...selected.values()][0];

  const move = async () => {
    setBusy(true);
    setError(null);
    try {
      if (asNew) await onMove({ newPerson: newName.trim() ? { name: newName.trim() } : {}, label: newName.trim() || 'a new person' });
      else if (chosen) await onMove({ personId: chosen.id, label: personLabel(chosen) });
    } catch (caught) {
      setError((caught as Error).message);
      setBusy(false);
    }
  };

  return (
    <Dialog
      title={`Move ${plural(faceCount, 'face')}`}
      className="move-dialog"
      onClose={onClose}
      footer={
        <>
          <span className="spacer" />
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="button button--primary" disabled={busy || (!asNew && !chosen)} onClick={move}>
            {busy ? 'Moving…' : asNew ? 'Move to new person' : chosen ? `Move to ${personLabel(chosen)}` : 'Move'}
          </button>
        </>
      }
    >
      <div className="new-person">
        <label className="checkbox">
          <input type="checkbox" checked={asNew} onChange={(event) => setAsNew(event.target.checked)} />
          To a new person
        </label>
        {asNew && (
          <input
            className="input"
            aria-label="Name of the new person"
            placeholder="Name (optional)"
            maxLength={100}
            value={newName}
            onChange={(event) => setNewName(event.target.value)}
          />
        )}
      </div>
      {!asNew && (
        <PeopleChooser
          autoFocus
          multiple={false}
          exclude={new Set([from.id])}
          selected={selected}
          onToggle={(person) => setSelected(new Map([[person.id, person]]))}
        />
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </Dialog>
  );
}
