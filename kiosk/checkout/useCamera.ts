// The kiosk screen's own camera (the one the diner faces): started while the
// component is mounted, every track stopped when it unmounts, and single JPEG
// frames captured on demand through a canvas.
import { useEffect, useRef, useState } from 'preact/hooks';

export type CameraState = 'starting' | 'on' | 'denied' | 'unavailable';

/** Frames go to the face pipeline at this width: enough for a face at arm's length, small on the wire. */
export const FRAME_WIDTH = 640;

export interface Camera {
  video: { current: HTMLVideoElement | null };
  state: CameraState;
  error: string | null;
  /** one JPEG of the current picture (not mirrored: the preview is), or null when the camera is not on */
  capture(): Promise<Blob | null>;
}

export function useCamera(): Camera {
  const video = useRef<HTMLVideoElement | null>(null);
  const stream = useRef<MediaStream | null>(null);
  const canvas = useRef<HTMLCanvasElement | null>(null);
  const [state, setState] = useState<CameraState>('starting');
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    const start = async () => {
      if (!navigator.mediaDevices?.getUserMedia) throw Object.assign(new Error('no camera API (needs https or localhost)'), { name: 'NotSupportedError' });
      const s = await navigator.mediaDevices.getUserMedia({ audio: false, video: { facingMode: 'user', width: { ideal: 1280 }, height: { ideal: 720 } } });
      if (!live) return s.getTracks().forEach((tr) => tr.stop());
      stream.current = s;
      const v = video.current;
      if (v) {
        v.srcObject = s;
        await v.play().catch(() => {});
      }
      setState('on');
    };
    start().catch((err: Error) => {
      if (!live) return;
      setError(err.message || err.name);
      setState(err.name === 'NotAllowedError' || err.name === 'SecurityError' ? 'denied' : 'unavailable');
    });
    return () => {
      live = false;
      stream.current?.getTracks().forEach((tr) => tr.stop());
      stream.current = null;
      if (video.current) video.current.srcObject = null;
    };
  }, []);

  const capture = async (): Promise<Blob | null> => {
    const v = video.current;
    if (!v || !stream.current || v.videoWidth === 0) return null;
    const scale = Math.min(1, FRAME_WIDTH / v.videoWidth);
    const c = (canvas.current ??= document.createElement('canvas'));
    c.width = Math.round(v.videoWidth * scale);
    c.height = Math.round(v.videoHeight * scale);
    c.getContext('2d')!.drawImage(v, 0, 0, c.width, c.height);
    return new Promise((resolve) => c.toBlob(resolve, 'image/jpeg', 0.8));
  };

  return { video, state, error, capture };
}
