import { useEffect, useState } from 'react';
import { api, type MergeResult, type PersonView } from '../api';
import { personLabel, plural } from '../format';
import { Dialog } from './Dialog';
import { PeopleChooser, type Candidate } from './PeopleChooser';

/** Pick people (suggested look-alikes or searched by name) to merge into `target`. */
export function MergeDialog({ target, onClose, onMerged }: { target: PersonView; onClose(): void; onMerged(result: MergeResult): void }) {
  const [suggestions, setSuggestions] = useState<Candidate[]>([]);
  const [suggestionsLoading, setSuggestionsLoading] = useState(true);
  const [selected, setSelected] = useState(new Map<string, PersonView>());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const abort = new AbortController();
    api
      .similar(target.id, abort.signal)
      .then((answer) => setSuggestions(answer.people))
      .catch(() => setSuggestions([]))
      .finally(() => !abort.signal.aborted && setSuggestionsLoading(false));
    return () => abort.abort();
  }, [target.id]);

  const toggle = (person: PersonView) =>
    setSelected((current) => {
      const next = new Map(current);
      if (next.has(person.id)) next.delete(person.id);
      else next.set(person.id, person);
      return next;
    });

  const merge = async () => {
    setBusy(true);
    setError(null);
    try {
      onMerged(await api.merge(target.id, [...selected.keys()]));
    } catch (caught) {
      setError((caught as Error).message);
      setBusy(false);
    }
  };

  const faces = [...selected.values()].reduce((sum, person) => sum + person.faceCount, 0);
  return (
    <Dialog
      title={`Merge into ${personLabel(target)}`}
      className="merge-dialog"
      onClose={onClose}
      footer={
        <>
          <span className="muted" aria-live="polite">
            {selected.size === 0 ? 'Choose the people who are really this person.' : `${plural(selected.size, 'person', 'people')}, ${plural(faces, 'face')}`}
          </span>
          <span className="spacer" />
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="button button--primary" disabled={selected.size === 0 || busy} onClick={merge}>
            {busy ? 'Merging…' : selected.size ? `Merge ${plural(selected.size, 'person', 'people')}` : 'Merge'}
          </button>
        </>
      }
    >
      {selected.size > 0 && (
        <ul className="chips" aria-label="Chosen">
          {[...selected.values()].map((person) => (
            <li key={person.id}>
              <button type="button" className="chip chip--removable" onClick={() => toggle(person)} aria-label={`Unselect ${personLabel(person)}`}>
                {personLabel(person)} ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <PeopleChooser
        autoFocus
        multiple
        exclude={new Set([target.id])}
        suggestions={suggestions}
        suggestionsLoading={suggestionsLoading}
        selected={selected}
        onToggle={toggle}
      />
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </Dialog>
  );
}
