/** Whether a request path is the moderation page's (`base`) or anything under it. */
export function ownsAdminPath(base: string, pathname: string): boolean {
  return pathname === base || pathname.startsWith(`${base}/`);
}
