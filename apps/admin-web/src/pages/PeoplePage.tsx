import { useEffect, useState, type FormEvent } from 'react';
import { api, type PeopleFilter, type PeopleSort, type PersonView } from '../api';
import { LoadMore } from '../components/LoadMore';
import { EmptyState, ErrorState, FaceImage, Spinner } from '../components/States';
import { useToast } from '../components/Toasts';
import { personLabel, plural } from '../format';
import { useInvalidation } from '../invalidation';
import { Link, useRouter } from '../router';
import { usePaged } from '../usePaged';

const filters: Array<{ value: PeopleFilter; label: string }> = [
  { value: 'visible', label: 'All people' },
  { value: 'unnamed', label: 'Unnamed' },
  { value: 'named', label: 'Named' },
  { value: 'hidden', label: 'Hidden' },
];

function useDebounced<T>(value: T, delayMs: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = window.setTimeout(() => setDebounced(value), delayMs);
    return () => window.clearTimeout(timer);
  }, [value, delayMs]);
  return debounced;
}

export function PeoplePage() {
  const { search, navigate } = useRouter();
  const { version } = useInvalidation();
  const filter = (filters.find((option) => option.value === search.get('filter'))?.value ?? 'visible') as PeopleFilter;
  const sort: PeopleSort = search.get('sort') === 'name' ? 'name' : 'faces';
  const [text, setText] = useState(search.get('q') ?? '');
  const q = useDebounced(text.trim(), 250);

  const setParams = (changes: Record<string, string | null>) => {
    const params = new URLSearchParams(search);
    for (const [key, value] of Object.entries(changes)) {
      if (value === null) params.delete(key);
      else params.set(key, value);
    }
    const query = params.toString();
    navigate(query ? `/?${query}` : '/', { replace: true });
  };
  useEffect(() => {
    if ((search.get('q') ?? '') !== q) setParams({ q: q || null });
    // Only the debounced text drives the URL.
  }, [q]);

  const people = usePaged<PersonView>(`${filter}|${sort}|${q}|${version}`, (cursor, signal) =>
    api.listPeople({ filter, sort, q, cursor }, signal),
  );
  const replace = (person: PersonView) => people.setItems((items) => items.map((item) => (item.id === person.id ? person : item)));
  const drop = (id: string) => people.setItems((items) => items.filter((item) => item.id !== id));

  return (
    <section className="page" aria-labelledby="people-title">
      <div className="page__header">
        <h1 id="people-title">People</h1>
        <div className="toolbar">
          <input
            type="search"
            className="search"
            placeholder="Search names…"
            aria-label="Search people by name"
            value={text}
            onChange={(event) => setText(event.target.value)}
          />
          <div className="segmented" role="tablist" aria-label="Which people">
            {filters.map((option) => (
              <button
                key={option.value}
                type="button"
                role="tab"
                aria-selected={filter === option.value}
                className={filter === option.value ? 'is-active' : ''}
                onClick={() => setParams({ filter: option.value === 'visible' ? null : option.value })}
              >
                {option.label}
              </button>
            ))}
          </div>
          <label className="select">
            <span className="visually-hidden">Sort by</span>
            <select value={sort} onChange={(event) => setParams({ sort: event.target.value === 'name' ? 'name' : null })}>
              <option value="faces">Most faces first</option>
              <option value="name">By name</option>
            </select>
          </label>
        </div>
      </div>

      {people.error && people.items.length === 0 ? (
        <ErrorState error={people.error} onRetry={people.reload} />
      ) : people.loading && people.items.length === 0 ? (
        <Spinner label="Loading people…" />
      ) : people.items.length === 0 ? (
        <EmptyState title={q ? `Nobody called “${q}”` : filter === 'hidden' ? 'No hidden people' : 'No people yet'}>
          {!q && filter === 'visible' && (
            <p>
              <Link to="/upload">Upload photos</Link>; people appear here once their faces are found and grouped.
            </p>
          )}
        </EmptyState>
      ) : (
        <>
          <ul className="people-grid" aria-label="People">
            {people.items.map((person) => (
              <PersonCard key={person.id} person={person} onChange={replace} onHiddenChange={drop} filter={filter} />
            ))}
          </ul>
          <LoadMore paged={people} label="people" />
        </>
      )}
    </section>
  );
}

function PersonCard({
  person,
  filter,
  onChange,
  onHiddenChange,
}: {
  person: PersonView;
  filter: PeopleFilter;
  onChange(person: PersonView): void;
  onHiddenChange(id: string): void;
}) {
  const toast = useToast();
  const toggleHidden = async () => {
    try {
      const updated = await api.updatePerson(person.id, { hidden: !person.hidden });
      if (filter === 'all') onChange(updated);
      else onHiddenChange(person.id);
      toast({
        message: updated.hidden ? `${personLabel(updated)} is hidden` : `${personLabel(updated)} is visible again`,
        action: { label: 'Undo', run: async () => onChange(await api.updatePerson(person.id, { hidden: person.hidden })) },
      });
    } catch (error) {
      toast({ message: `Could not change ${personLabel(person)}: ${(error as Error).message}`, tone: 'error' });
    }
  };
  return (
    <li className={`person-card${person.hidden ? ' is-hidden' : ''}`} data-testid="person-card" data-person-id={person.id}>
      <Link to={`/people/${person.id}`} className="person-card__link">
        <FaceImage src={person.coverThumbnailUrl} alt="" size="large" />
        <span className={`person-card__name${person.name ? '' : ' is-unnamed'}`}>{personLabel(person)}</span>
        <span className="person-card__meta">{plural(person.faceCount, 'face')}</span>
      </Link>
      {person.name === null && <NamePrompt person={person} onNamed={onChange} />}
      <button
        type="button"
        className="person-card__hide icon-button"
        aria-label={person.hidden ? `Unhide ${personLabel(person)}` : `Hide ${personLabel(person)}`}
        title={person.hidden ? 'Unhide' : 'Hide'}
        onClick={toggleHidden}
      >
        {person.hidden ? <EyeIcon /> : <EyeOffIcon />}
      </button>
    </li>
  );
}

function NamePrompt({ person, onNamed }: { person: PersonView; onNamed(person: PersonView): void }) {
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!name.trim()) return;
    setBusy(true);
    setError(null);
    try {
      onNamed(await api.updatePerson(person.id, { name: name.trim() }));
    } catch (caught) {
      setError((caught as Error).message);
      setBusy(false);
    }
  };
  return (
    <form className="name-prompt" onSubmit={submit}>
      <input
        aria-label="Name this person"
        placeholder="Who is this?"
        value={name}
        maxLength={100}
        disabled={busy}
        onChange={(event) => setName(event.target.value)}
      />
      <button type="submit" className="button button--small" disabled={busy || !name.trim()}>
        Save
      </button>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

export function EyeOffIcon() {
  return (
    <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round">
      <path d="M3 3l18 18M10.6 5.1A9.8 9.8 0 0 1 12 5c5 0 8.5 4.5 9.5 7-.4 1-1.2 2.4-2.4 3.7M6.3 6.3C4.3 7.7 3 9.7 2.5 12c1 2.5 4.5 7 9.5 7 1.8 0 3.4-.6 4.7-1.4M9.9 9.9a3 3 0 0 0 4.2 4.2" />
    </svg>
  );
}

export function EyeIcon() {
  return (
    <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" fill="none" stroke="currentColor" strokeWidth="1.8">
      <path d="M2.5 12C3.5 9.5 7 5 12 5s8.5 4.5 9.5 7c-1 2.5-4.5 7-9.5 7s-8.5-4.5-9.5-7z" />
      <circle cx="12" cy="12" r="3" />
    </svg>
  );
}
