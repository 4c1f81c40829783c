// Which feature of the box each model serves, in the words its users know, and which
// features are off when models are missing: said once at start, on /admin, and by
// `canteen-edge models list`.
import type { ModelFeature, ModelManifest } from '../../models/manifest.ts';

export const FEATURE_NAMES: Record<ModelFeature, { zh: string; en: string }> = {
  'face-pay': { zh: '刷脸支付', en: 'face pay' },
  liveness: { zh: '活体检测', en: 'liveness check' },
  'dish-recognition': { zh: '菜品识别', en: 'dish recognition' },
  'kitchen-detection': { zh: '后厨识别', en: 'kitchen detection' },
};

/**
 * The models the default configuration runs each feature with (gateway/biometrics,
 * gateway/canteen recognition, gateway/kitchen): when one is not installed the feature
 * is off. Face pay needs its liveness models too (a face pay without liveness would
 * accept a photo).
 */
export const FEATURE_MODELS: Record<'face-pay' | 'dish-recognition' | 'kitchen-detection', string[]> = {
  'face-pay': ['yunet_n_dynamic', 'MobileFaceNet', 'MiniFASNetV2_2.7_80x80', 'MiniFASNetV1SE_4.0_80x80'],
  'dish-recognition': ['mobilenetv2-12-int8'],
  'kitchen-detection': ['yolox_nano'],
};

export const INSTALL_COMMAND = 'npx canteen-edge models pull';

/** The feature a manifest declares, else the one its family usually serves. */
export function featureOf(m: ModelManifest): ModelFeature | undefined {
  if (m.feature) return m.feature;
  switch (m.family) {
    case 'liveness':
      return 'liveness';
    case 'face-detector':
    case 'face-embedder':
      return 'face-pay';
    case 'detector':
      return 'kitchen-detection';
    case 'classifier':
    case 'embedder':
      return 'dish-recognition';
  }
}

export interface FeatureOff {
  feature: keyof typeof FEATURE_MODELS;
  zh: string;
  en: string;
  models: string[];
}

/** The features whose default models are not all `ok`. */
export function featuresOff(states: { name: string; state: string }[]): FeatureOff[] {
  const ok = new Set(states.filter((s) => s.state === 'ok').map((s) => s.name));
  return (Object.entries(FEATURE_MODELS) as [FeatureOff['feature'], string[]][]).flatMap(([feature, models]) => {
    const missing = models.filter((m) => !ok.has(m));
    return missing.length ? [{ feature, ...FEATURE_NAMES[feature], models: missing }] : [];
  });
}

/** One plain paragraph for the terminal: what is off and the command that fixes it. */
export function featuresOffMessage(off: FeatureOff[], command = INSTALL_COMMAND): string | null {
  if (!off.length) return null;
  const list = off.map((f) => `${f.zh} (${f.en})`).join('、');
  const models = [...new Set(off.flatMap((f) => f.models))].join(', ');
  return `模型未安装，以下功能已关闭：${list}。安装命令：${command}（无网络时：npx canteen-edge models import 模型包.tar）\nmodels not installed (${models}): these features are off: ${off.map((f) => f.en).join(', ')}. Install them with: ${command} (offline: npx canteen-edge models import BUNDLE.tar)`;
}
