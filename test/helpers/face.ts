// Face-pay test helpers: the impact assessment a site records at /admin before face pay
// may start (PIPL art. 55), and frames made as the kiosk page makes them.
import sharp from 'sharp';
import { photo } from '../../bench/face/photos.ts';

export const IMPACT_ASSESSMENT = {
  assessed_on: '2026-12-01',
  assessor: '食堂管理办公室 王主任',
  necessity: '刷脸支付为自愿选项，饭卡、二维码和密码始终可用；仅用于本食堂结算。',
  risks: '误识别可能误扣款；模板泄露的风险。',
  measures: '模板加密存储于本机，不上传；活体检测、阈值与差距；撤回即删除；审计日志。',
  conclusion: '风险可控，同意在本食堂开通刷脸支付。',
};

/** POST /api/biometrics/impact-assessment as an admin; face pay may start afterwards. */
export async function recordImpactAssessment(url: string, headers: Record<string, string>): Promise<void> {
  const r = await fetch(`${url}/api/biometrics/impact-assessment`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(IMPACT_ASSESSMENT) });
  if (r.status !== 201) throw new Error(`impact assessment: ${r.status} ${await r.text()}`);
}

/** frames as the kiosk page makes them: JPEG, at most `width` px wide, quality 80 */
export const kioskFrame = async (file: string, width = 640) => sharp(photo(file)).rotate().resize({ width, withoutEnlargement: true }).jpeg({ quality: 80 }).toBuffer();
