/**
 * A typed handle for a shared capability. Plugins provide and consume services by token,
 * never by importing each other.
 *
 * Tokens are compared by `id`, not by object identity, so two copies of this package in one
 * dependency tree still agree on what a token means.
 */
export interface ServiceToken<T> {
  readonly id: string;
  readonly description: string;
  /** Phantom field that carries the service type; never set at run time. */
  readonly __service?: T;
}

export function serviceToken<T>(id: string, description: string): ServiceToken<T> {
  return Object.freeze({ id, description });
}

/** The type a token stands for. */
export type ServiceOf<Token> = Token extends ServiceToken<infer T> ? T : never;
