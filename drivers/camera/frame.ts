// One camera frame, the shape every source delivers and models/ takes as an image.
export interface Frame {
  seq: number;
  at: number;
  width: number;
  height: number;
  /** packed RGB, width × height × 3 bytes */
  rgb: Buffer;
  /** where it came from, for logs */
  source: string;
}
