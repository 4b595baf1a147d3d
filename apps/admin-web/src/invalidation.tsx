import { createContext, useCallback, useContext, useState, type ReactNode } from 'react';

/**
 * A counter bumped after any change that alters several pages' data (a merge, its undo,
 * moved faces): lists include it in their load key and refetch. Cheaper to reason about
 * than patching every cached list by hand.
 */
const InvalidationContext = createContext<{ version: number; invalidate(): void }>({ version: 0, invalidate: () => undefined });

export function InvalidationProvider({ children }: { children: ReactNode }) {
  const [version, setVersion] = useState(0);
  const invalidate = useCallback(() => setVersion((value) => value + 1), []);
  return <InvalidationContext.Provider value={{ version, invalidate }}>{children}</InvalidationContext.Provider>;
}

export const useInvalidation = () => useContext(InvalidationContext);
