// Texts of sign-in and kiosk pairing (/login), zh first then en.
// Registered when a page imports this file (see kiosk/i18n.ts).
import { addDict, type Dict } from '../i18n.ts';

export const loginDict = {
  'login.title': ['工作人员登录', 'Staff sign-in'],
  'login.username': ['用户名', 'Username'],
  'login.password': ['密码', 'Password'],
  'login.submit': ['登录', 'Sign in'],
  'login.failed': ['用户名或密码错误', 'Wrong username or password'],
  'login.tooMany': ['失败次数过多，请 {s} 秒后再试', 'Too many failed attempts; try again in {s} s'],
  'login.error': ['出错了：{e}', 'Something went wrong: {e}'],
  'login.signedInAs': ['已登录：{name}（{role}）', 'Signed in as {name} ({role})'],
  'login.needRole': ['当前账号无权打开该页面，请换一个账号登录', 'This account may not open that page; sign in with another one'],
  'login.signOut': ['退出登录', 'Sign out'],
  'login.pairTitle': ['配对结算终端', 'Pair this kiosk'],
  'login.pairHint': ['在网关上运行 canteen-edge kiosk pair --station 结算台编号，将得到的配对码输入下方（每台终端只需一次）', 'Run canteen-edge kiosk pair --station ID on the gateway and enter the code below (once per screen)'],
  'login.pairCode': ['配对码', 'Pairing code'],
  'login.pairSubmit': ['配对', 'Pair'],
  'login.paired': ['本终端已配对：{station}', 'This screen is paired with {station}'],
  'login.pairFailed': ['配对码无效或已过期', 'Unknown or expired pairing code'],
} satisfies Dict;

addDict(loginDict);
