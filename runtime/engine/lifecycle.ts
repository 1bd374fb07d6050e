// Process-wide lifecycle state read on the request path (a property load, nothing more).

export const lifecycle = {
  /** Set when the process stops accepting: responses carry `connection: close`. */
  draining: false,
};
