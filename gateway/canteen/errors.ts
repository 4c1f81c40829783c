// An error a client caused: the status code and the reason go back to it.
export class CanteenError extends Error {
  constructor(
    readonly statusCode: 400 | 404 | 409 | 413 | 415 | 422,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}
