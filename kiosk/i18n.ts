import { useEffect, useState } from 'preact/hooks';
import type { checkoutDict } from './i18n/checkout.ts';
import type { biometricsDict } from './i18n/biometrics.ts';
import type { kitchenDict } from './i18n/kitchen.ts';
import type { energyDict } from './i18n/energy.ts';
import type { adminDict } from './i18n/admin.ts';
import type { loginDict } from './i18n/login.ts';

export type Lang = 'zh' | 'en';

export type Dict = Record<string, [zh: string, en: string]>;

// Texts every page uses. Each area's texts live in kiosk/i18n/<area>.ts and are
// registered by the pages that import them, so a page carries only its own texts
// (test/kiosk-build.test.ts checks every page imports the areas its code uses).
const common = {
  'page.checkout': ['结算台', 'Checkout'],
  'page.kitchen': ['后厨看板', 'Kitchen'],
  'page.energy': ['能耗看板', 'Energy'],
  'page.admin': ['管理', 'Admin'],
  'lang.toggle': ['English', '中文'],
  'conn.connected': ['已连接', 'Connected'],
  'conn.reconnecting': ['重新连接中…', 'Reconnecting…'],
  'conn.offline': ['离线，自 {t}', 'Offline since {t}'],
  'state.starting': ['启动中', 'Starting'],
  'state.online': ['在线', 'Online'],
  'state.degraded': ['降级', 'Degraded'],
  'state.offline': ['离线', 'Offline'],
  'state.since': ['{state}，自 {t}', '{state} since {t}'],
  'kind.meter': ['电表', 'Meter'],
  'kind.scale': ['电子秤', 'Scale'],
  'kind.camera': ['摄像头', 'Camera'],
  'link.online': ['在线', 'Online'],
  'link.backing-off': ['重试中', 'Backing off'],
  'link.offline': ['离线', 'Offline'],
  'link.stalled': ['停滞（上游无应答）', 'Stalled (upstream not answering)'],
  'meal.breakfast': ['早餐', 'Breakfast'],
  'meal.lunch': ['午餐', 'Lunch'],
  'meal.dinner': ['晚餐', 'Dinner'],
  'page.login': ['登录', 'Sign in'],
  'role.kiosk': ['结算终端', 'Kiosk'],
  'role.kitchen': ['后厨员工', 'Kitchen staff'],
  'role.supervisor': ['后厨主管', 'Kitchen supervisor'],
  'role.facility': ['设施管理员', 'Facility staff'],
  'role.cashier': ['收银员', 'Cashier'],
  'role.admin': ['管理员', 'Administrator'],
  'shell.signOut': ['退出登录', 'Sign out'],
  'shell.demo': ['演示模式：模拟设备与演示数据', 'Demo: simulated devices and demo data'],
} satisfies Dict;

type AllTexts = typeof common & typeof checkoutDict & typeof biometricsDict & typeof kitchenDict & typeof energyDict & typeof adminDict & typeof loginDict;
const dict: Dict = { ...common };

/** Registers an area's texts (called by kiosk/i18n/<area>.ts on import). */
export function addDict(d: Dict): void {
  Object.assign(dict, d);
}

export type Key = keyof AllTexts & string;
export type T = (key: Key, vars?: Record<string, string | number>) => string;

const STORAGE_KEY = 'canteen-edge.lang';
const listeners = new Set<(l: Lang) => void>();

function readLang(): Lang {
  try {
    return localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'zh';
  } catch {
    return 'zh';
  }
}

let current = readLang();

export function setLang(lang: Lang): void {
  current = lang;
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch { /* storage disabled: keep the choice for this page only */ }
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  for (const l of listeners) l(lang);
}

export function translate(lang: Lang, key: Key, vars?: Record<string, string | number>): string {
  const entry = dict[key];
  if (!entry) return key; // an area whose texts this page did not import
  const text = entry[lang === 'zh' ? 0 : 1];
  return vars ? text.replace(/\{(\w+)\}/g, (m, name: string) => String(vars[name] ?? m)) : text;
}

export function hasKey(key: string): key is Key {
  return Object.hasOwn(dict, key);
}

export function useLang(): { lang: Lang; t: T } {
  const [lang, set] = useState(current);
  useEffect(() => {
    listeners.add(set);
    document.documentElement.lang = current === 'zh' ? 'zh-CN' : 'en';
    return () => { listeners.delete(set); };
  }, []);
  return { lang, t: (key, vars) => translate(lang, key, vars) };
}
