import { useEffect, useState } from 'react';
import { api, type PersonView } from '../api';
import { personLabel, plural } from '../format';
import { FaceImage, Spinner } from './States';

export interface Candidate {
  person: PersonView;
  similarity?: number;
}

/** One person to pick in a chooser list; role=checkbox or radio, so it reads right and Space toggles it. */
function CandidateRow({ candidate, selected, multiple, onToggle }: { candidate: Candidate; selected: boolean; multiple: boolean; onToggle(): void }) {
  const { person, similarity } = candidate;
  return (
    <li>
      <button
        type="button"
        role={multiple ? 'checkbox' : 'radio'}
        aria-checked={selected}
        className={`candidate${selected ? ' is-selected' : ''}`}
        data-testid="candidate"
        data-person-id={person.id}
        onClick={onToggle}
      >
        <span className="candidate__check" aria-hidden="true" />
        <FaceImage src={person.coverThumbnailUrl} alt="" size="small" />
        <span className="candidate__text">
          <span className={person.name ? '' : 'is-unnamed'}>{personLabel(person)}</span>
          <span className="muted">
            {plural(person.faceCount, 'face')}
            {person.hidden ? ' · hidden' : ''}
          </span>
        </span>
        {similarity !== undefined && (
          <span className="candidate__similarity" title="How alike their faces are">
            {Math.round(similarity * 100)}% alike
          </span>
        )}
      </button>
    </li>
  );
}

/**
 * Search and pick people: suggestions (when given) on top, then name matches for the typed
 * text, or the largest people when nothing is typed.
 */
export function PeopleChooser({
  exclude,
  suggestions,
  suggestionsLoading,
  selected,
  multiple,
  onToggle,
  autoFocus,
}: {
  exclude: Set<string>;
  suggestions?: Candidate[];
  suggestionsLoading?: boolean;
  selected: Map<string, PersonView>;
  multiple: boolean;
  onToggle(person: PersonView): void;
  autoFocus?: boolean;
}) {
  const [text, setText] = useState('');
  const [results, setResults] = useState<PersonView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const q = text.trim();

  useEffect(() => {
    const abort = new AbortController();
    const timer = window.setTimeout(() => {
      setError(null);
      api
        .listPeople({ filter: 'all', q, limit: 30 }, abort.signal)
        .then((page) => setResults(page.items))
        .catch((caught: unknown) => !abort.signal.aborted && setError((caught as Error).message));
    }, q ? 200 : 0);
    return () => {
      window.clearTimeout(timer);
      abort.abort();
    };
  }, [q]);

  const suggested = (suggestions ?? []).filter((candidate) => !exclude.has(candidate.person.id));
  const suggestedIds = new Set(suggested.map((candidate) => candidate.person.id));
  const others = (results ?? []).filter((person) => !exclude.has(person.id) && (q !== '' || !suggestedIds.has(person.id)));
  const row = (candidate: Candidate) => (
    <CandidateRow
      key={candidate.person.id}
      candidate={candidate}
      multiple={multiple}
      selected={selected.has(candidate.person.id)}
      onToggle={() => onToggle(candidate.person)}
    />
  );

  return (
    <div className="chooser">
      <input
        type="search"
        className="search search--block"
        placeholder="Search people by name…"
        aria-label="Search people by name"
        autoFocus={autoFocus}
        value={text}
        onChange={(event) => setText(event.target.value)}
      />
      <div className="chooser__lists">
        {q === '' && suggestions !== undefined && (
          <section aria-label="Suggestions">
            <h3 className="chooser__heading">Suggestions</h3>
            {suggestionsLoading ? (
              <Spinner label="Finding look-alikes…" />
            ) : suggested.length === 0 ? (
              <p className="muted chooser__empty">No similar people found.</p>
            ) : (
              <ul className="chooser__list">{suggested.map(row)}</ul>
            )}
          </section>
        )}
        <section aria-label={q ? 'Matches' : 'People'}>
          <h3 className="chooser__heading">{q ? `Matching “${q}”` : 'People'}</h3>
          {error ? (
            <p className="form-error" role="alert">
              {error}
            </p>
          ) : results === null ? (
            <Spinner />
          ) : others.length === 0 ? (
            <p className="muted chooser__empty">{q ? 'Nobody by that name.' : 'Nobody else yet.'}</p>
          ) : (
            <ul className="chooser__list">{others.map((person) => row({ person }))}</ul>
          )}
        </section>
      </div>
    </div>
  );
}
