/**
 * A typed injection token: a symbol that remembers the interface it stands for, so the
 * composition root can bind and resolve ports without the application knowing about the
 * container library.
 */
export type Token<T> = symbol & { readonly __port?: T };

export const token = <T>(name: string): Token<T> => Symbol.for(`tollgate.${name}`) as Token<T>;
