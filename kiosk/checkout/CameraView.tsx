import type { ComponentChildren } from 'preact';
import { useLang } from '../i18n.ts';
import type { Camera } from './useCamera.ts';

/** The mirrored preview with the oval the diner puts their face in; `children` overlay it (progress, hints). */
export function CameraView({ camera, children }: { camera: Camera; children?: ComponentChildren }) {
  const { t } = useLang();
  return (
    <div class="fp-camera" data-testid="camera" data-state={camera.state}>
      <video ref={camera.video} class="fp-video" autoplay muted playsInline />
      <div class="fp-oval" aria-hidden="true" />
      {camera.state === 'starting' && <p class="fp-over">{t('face.cameraStarting')}</p>}
      {(camera.state === 'denied' || camera.state === 'unavailable') && (
        <p class="fp-over alert" data-testid="camera-error">{t(camera.state === 'denied' ? 'face.cameraDenied' : 'face.cameraUnavailable')}{camera.error ? ` (${camera.error})` : ''}</p>
      )}
      {children}
    </div>
  );
}
