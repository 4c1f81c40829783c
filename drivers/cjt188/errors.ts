// Errors of the CJ/T 188 driver; `kind` says what happened without parsing the message.
export type Cjt188ErrorKind = 'abnormal' | 'timeout' | 'format' | 'protocol' | 'io' | 'usage';

export class Cjt188Error extends Error {
  constructor(
    message: string,
    readonly kind: Cjt188ErrorKind,
  ) {
    super(message);
    this.name = 'Cjt188Error';
  }
}
