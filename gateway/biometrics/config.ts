// The `biometrics:` section: face pay on or off, where the template key lives, the
// consent text the person is shown, and the thresholds that decide a face payment.
// The defaults are models/face's (models/face/README.md "Thresholds, and where they
// come from"); a site calibrates its own with `canteen-edge face calibrate`.
import { z } from 'zod';
import { DEFAULT_MATCH_THRESHOLD, DEFAULT_MIN_MARGIN } from '../../models/face/gallery.ts';

/** = models/face DEFAULT_LIVENESS_THRESHOLD (not imported: that module loads sharp; a test keeps them equal) */
export const LIVENESS_THRESHOLD_DEFAULT = 0.8;

const text = (what: string, zh: string, en: string) =>
  z
    .strictObject({
      zh: z.string().min(1).default(zh).describe(`${what}, in Chinese (shown first)`),
      en: z.string().min(1).default(en).describe(`${what}, in English`),
    })
    .prefault({})
    .describe(what);

export const biometricsConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('offer face pay and enrolment (face pay also needs the face models; without them the kiosk shows the other ways to pay)'),
    key_file: z
      .string()
      .min(1)
      .optional()
      .describe('AES-256 key that encrypts the face templates (32 bytes, mode 0600, made on first start); default `<data_dir>/biometric.key`. Relative to the config file'),
    consent: z
      .strictObject({
        version: z.string().min(1).max(40).default('2026-12-v2').describe('version of the consent text; recorded with every consent. Change it whenever the text changes: enrolment then needs the new version'),
        purpose: text(
          'why the face is used',
          '刷脸支付：在本食堂结算台用您的面部特征识别您的饭卡账户并扣款。面部特征属于敏感个人信息，仅用于此目的。',
          'Face pay: your facial features identify your meal-card account at this canteen\'s checkout and the meal is charged to it. Facial features are sensitive personal information and are used for this purpose only.',
        ),
        retention: text(
          'how long it is kept and where',
          '面部特征模板加密保存在本食堂的结算设备上，不上传；您撤回同意、注销账户或离校/离职时立即删除。',
          'The face template is kept encrypted on this canteen\'s checkout box only and never uploaded; it is deleted at once when you withdraw consent, close the account or leave.',
        ),
        effect: text(
          'what face pay means for the person',
          '影响：录入后，在结算台看向摄像头即可从您的饭卡账户扣款；若识别错误可能误扣，您可要求退款。处理者不会将面部信息用于其他目的或提供给他人。',
          'The effect: once enrolled, looking into the checkout camera charges your meal-card account; a wrong match could charge you by mistake, and you can ask for a refund. The processor uses your face data for nothing else and gives it to no one.',
        ),
        withdraw: text(
          'how to withdraw',
          '撤回：随时到食堂服务台或联系下方联系人撤回同意，撤回后面部模板立即删除，刷脸支付立即停止。',
          'To withdraw: at any time at the canteen service desk or through the contact below; the face template is then deleted and face pay stops at once.',
        ),
        alternative: text(
          'the other ways to pay',
          '不同意也不影响就餐：可随时使用饭卡、二维码或密码支付，也可随时撤回同意。',
          'Saying no changes nothing: you can always pay by meal card, QR code or PIN, and you can withdraw your consent at any time.',
        ),
      })
      .prefault({})
      .describe('the consent text shown before enrolment (purpose, effect, retention, how to withdraw, alternative; with site.processor and its contact — PIPL arts. 17, 30)'),
    liveness: z
      .strictObject({
        threshold: z
          .number()
          .min(0)
          .max(1)
          .default(LIVENESS_THRESHOLD_DEFAULT)
          .describe('mean P(real) over the frames a face must reach (models/face: real capture 0.999, print 0.130, screen 0.000); calibrate on the kiosk camera with `canteen-edge face calibrate --live … --spoof …`'),
        frames: z.number().int().min(1).max(30).default(5).describe('consecutive frames liveness is decided over'),
        max_gap_ms: z.number().int().min(100).max(60_000).default(1500).describe('a longer pause between two frames starts the liveness count over'),
      })
      .prefault({})
      .describe('liveness (anti-spoofing) at the kiosk'),
    match: z
      .strictObject({
        threshold: z
          .number()
          .min(-1)
          .max(1)
          .default(DEFAULT_MATCH_THRESHOLD)
          .describe('cosine similarity a face must reach to be someone (0.55: above every impostor pair of the shared photos, max 0.418; set it from the site\'s own false-accept budget with `canteen-edge face calibrate --people DIR --far F`)'),
        min_margin: z.number().min(0).max(2).default(DEFAULT_MIN_MARGIN).describe('lead over the second-best person a match needs (0.1: one impostor standard deviation); a closer tie is refused'),
      })
      .prefault({})
      .describe('1:N matching: threshold AND margin'),
    keep_enrolment_images: z.boolean().default(false).describe('keep the enrolment photos (encrypted, under `<data_dir>/face-images/`) instead of discarding them once the template is made'),
    session_idle_s: z.number().int().min(5).max(600).default(60).describe('a face-pay session at the kiosk ends after this long without a frame'),
    max_frame_pixels: z
      .number()
      .int()
      .min(100_000)
      .max(40_000_000)
      .default(2_000_000)
      .describe('largest image (width × height, read from its header before decoding) a kiosk frame or a kiosk enrolment photo may have; a larger one is refused unread (a 10000 × 10000 PNG of 97 KB would take 300 MB to decode)'),
    max_photo_pixels: z
      .number()
      .int()
      .min(1_000_000)
      .max(100_000_000)
      .default(12_000_000)
      .describe('largest staff enrolment photo at /admin (a phone photo), checked from its header before decoding; a larger one is refused with 413'),
    retention_days: z.number().int().min(1).max(3650).default(365).describe('a template not used to pay for this many days is deleted, with an audit line (swept hourly and at start); closing an account deletes its template at once'),
    unknown_birth_date: z
      .enum(['ask_staff', 'minor', 'adult'])
      .default('ask_staff')
      .describe('an account without payments.accounts[].birth_date: `ask_staff` — no self-enrolment at the kiosk, staff enrol and say whether the person is under 14; `minor` — treated as under 14 (guardian consent, staff only); `adult` — treated as 14 or older'),
    kiosk_enrol: z
      .strictObject({
        max_failures: z.number().int().min(1).max(100).default(5).describe('refused card/PIN attempts a kiosk may make in `window_minutes` before its self-enrolment is paused'),
        window_minutes: z.number().int().min(1).max(1440).default(15).describe('the window those failures are counted in'),
      })
      .prefault({})
      .describe('self-enrolment at a kiosk needs the card and its account\'s PIN; failures are limited per kiosk'),
    max_frame_kb: z.number().int().min(32).max(2048).default(300).describe('largest JPEG frame the kiosk may send (KB)'),
  })
  .prefault({})
  .describe('face payment: consent, encrypted templates, thresholds (gateway/biometrics)');

export type BiometricsConfig = z.output<typeof biometricsConfigSchema>;
