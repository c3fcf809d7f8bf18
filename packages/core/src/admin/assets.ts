import { createHash } from 'node:crypto';

/**
 * The page's stylesheet and its one small script, served by the receiver from the page's own path (the
 * Content-Security-Policy allows 'self' and nothing else). The page works without the script: it only
 * shows a "select all" box for the bulk actions.
 */
export const ADMIN_CSS = `:root{color-scheme:light dark;--bg:#f4f5f7;--fg:#17191c;--muted:#5d6670;--card:#fff;--line:#d9dde2;--accent:#0a5bbf;--ok:#156c2e;--ok-bg:#e3f3e7;--warn:#7d5200;--warn-bg:#fff3d6;--bad:#b3261e;--bad-bg:#fde7e5;--chip:#e8ecf1}
@media (prefers-color-scheme:dark){:root{--bg:#101318;--fg:#e7eaee;--muted:#9aa3ae;--card:#181c23;--line:#2d343e;--accent:#69a8ff;--ok:#5ccf7c;--ok-bg:#17311f;--warn:#e3b341;--warn-bg:#33280f;--bad:#ff7b72;--bad-bg:#3a1a19;--chip:#232a33}}
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif}
a{color:var(--accent)}
code{font:0.95em/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
[hidden]{display:none!important}
.top{background:var(--card);border-bottom:1px solid var(--line)}
.top__in{max-width:56rem;margin:0 auto;padding:.6rem 1rem;display:flex;align-items:center;justify-content:space-between;gap:1rem}
.top__site{margin:0;display:flex;flex-wrap:wrap;align-items:baseline;gap:.5rem;min-width:0}
.top__name{font-weight:700;font-size:1.1rem}
.top__host{color:var(--muted);overflow-wrap:anywhere}
.sign-out{margin:0}
.main{max-width:56rem;margin:0 auto;padding:1rem 1rem 3rem}
h1{font-size:1.4rem;margin:.5rem 0 1rem}
.tabs ul{list-style:none;margin:0 0 1rem;padding:0;display:flex;gap:.25rem;overflow-x:auto;border-bottom:1px solid var(--line)}
.tabs a{display:block;padding:.5rem .75rem;text-decoration:none;color:var(--muted);border-bottom:3px solid transparent;white-space:nowrap}
.tabs a[aria-current]{color:var(--fg);border-bottom-color:var(--accent);font-weight:600}
.count{display:inline-block;min-width:1.5em;padding:0 .4em;border-radius:999px;background:var(--chip);color:var(--muted);font-size:.8em;text-align:center}
.filters{display:flex;flex-wrap:wrap;align-items:end;gap:.5rem 1rem;margin:0 0 .75rem}
.filters label{display:flex;flex-direction:column;font-size:.85rem;color:var(--muted)}
select,input[type=text],input[type=password]{font:inherit;color:inherit;background:var(--card);border:1px solid var(--line);border-radius:.4rem;padding:.45rem .6rem;min-height:2.5rem}
.chip{display:inline-flex;flex-wrap:wrap;gap:.5rem;align-items:baseline;background:var(--chip);border-radius:.4rem;padding:.3rem .6rem;margin:0 0 .75rem;overflow-wrap:anywhere}
.posts{margin:0 0 1rem}
.posts summary{cursor:pointer;color:var(--muted)}
.posts ul{margin:.5rem 0 0;padding-left:1.2rem}
.posts li{overflow-wrap:anywhere}
.button{font:inherit;font-size:.9rem;line-height:1.2;color:var(--fg);background:var(--card);border:1px solid var(--line);border-radius:.4rem;padding:.55rem .8rem;min-height:2.5rem;cursor:pointer}
.button:hover{border-color:var(--muted)}
.button:focus-visible,a:focus-visible,input:focus-visible,select:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.button--primary{background:var(--accent);border-color:var(--accent);color:#fff}
.button--ok{color:var(--ok);border-color:currentColor}
.button--bad{color:var(--bad);border-color:currentColor}
.button--quiet{border-color:transparent;background:transparent;color:var(--muted)}
.bulk{display:flex;flex-wrap:wrap;align-items:center;gap:.4rem;background:var(--bg);padding:.5rem 0;margin-bottom:.5rem;border-bottom:1px solid var(--line)}
.bulk__label{color:var(--muted);font-size:.9rem;margin-right:.25rem}
.bulk__all{display:flex;align-items:center;gap:.4rem;margin-right:.75rem;font-size:.9rem}
.cards{list-style:none;margin:0;padding:0;display:grid;gap:.75rem}
.card{background:var(--card);border:1px solid var(--line);border-left:4px solid var(--line);border-radius:.5rem;padding:.75rem 1rem;min-width:0}
.card--pending{border-left-color:var(--warn)}
.card--approved{border-left-color:var(--ok)}
.card--rejected{border-left-color:var(--bad)}
.card--deleted{opacity:.75}
.card__head{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem;font-size:.85rem;color:var(--muted)}
.card__pick{display:flex;align-items:center;padding:.2rem}
.card__pick input,.bulk__all input{width:1.25rem;height:1.25rem}
.badge{font-size:.75rem;font-weight:700;text-transform:uppercase;letter-spacing:.04em;padding:.1rem .45rem;border-radius:.3rem;background:var(--chip);color:var(--muted)}
.badge--pending{background:var(--warn-bg);color:var(--warn)}
.badge--approved{background:var(--ok-bg);color:var(--ok)}
.badge--rejected,.badge--deleted{background:var(--bad-bg);color:var(--bad)}
.card__title{font-size:1.1rem;margin:.4rem 0 .2rem;overflow-wrap:anywhere}
.card__author{margin:0;color:var(--muted);overflow-wrap:anywhere}
.card__excerpt{margin:.5rem 0;padding-left:.75rem;border-left:3px solid var(--line);overflow-wrap:anywhere}
.card__facts{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.2rem .75rem;margin:.5rem 0;font-size:.9rem}
.card__facts dt{color:var(--muted)}
.card__facts dd{margin:0;min-width:0;overflow-wrap:anywhere}
.url{overflow-wrap:anywhere;word-break:break-word}
.card__actions{display:flex;flex-wrap:wrap;gap:.4rem;margin-top:.6rem}
.notice{display:flex;flex-wrap:wrap;align-items:center;justify-content:space-between;gap:.5rem;border-radius:.5rem;padding:.5rem .75rem;margin:0 0 1rem;background:var(--chip)}
.notice p{margin:0}
.notice form{margin:0}
.notice--error{background:var(--bad-bg);color:var(--bad)}
.empty{color:var(--muted);padding:2rem 0;text-align:center}
.pager{display:flex;justify-content:space-between;align-items:center;margin-top:1rem}
.muted{color:var(--muted)}
.hint{color:var(--muted);font-size:.9rem}
.sign-in{max-width:24rem;margin:3rem auto}
.sign-in__form{display:flex;flex-direction:column;gap:.5rem}
.hosts__add{display:flex;flex-direction:column;gap:.5rem;max-width:30rem;margin-bottom:1.5rem}
.hosts__buttons{display:flex;gap:.5rem}
.hosts ul{list-style:none;margin:0;padding:0;border:1px solid var(--line);border-radius:.5rem;background:var(--card)}
.hosts li{display:flex;justify-content:space-between;align-items:center;gap:.5rem;padding:.4rem .75rem;border-top:1px solid var(--line);overflow-wrap:anywhere}
.hosts li:first-child{border-top:0}
.hosts form{margin:0}
.ctl{font:0.7em/1 ui-monospace,monospace;padding:0 .2em;margin:0 .1em;border:1px solid currentColor;border-radius:.2em;color:var(--bad);unicode-bidi:isolate}
@media (min-width:40rem){.card__facts{grid-template-columns:8rem minmax(0,1fr)}.main{padding-top:1.5rem}.bulk{position:sticky;top:0;z-index:1}}
`;

export const ADMIN_JS = `'use strict';
// Shows "select all" for the bulk actions; the page works without it.
(() => {
  const all = document.getElementById('select-all');
  if (!all) return;
  all.closest('label').hidden = false;
  const boxes = () => document.querySelectorAll('input[type="checkbox"][name="id"]');
  all.addEventListener('change', () => { for (const box of boxes()) box.checked = all.checked; });
})();
`;

/**
 * Named in the asset URLs (`admin.css?v=…`), so browsers may keep them for good and still fetch a new
 * version after an upgrade: each page view is then one request, which matters under Netlify's
 * per-address limit in front of the Function.
 */
export const ASSET_VERSION = createHash('sha256').update(ADMIN_CSS).update(ADMIN_JS).digest('hex').slice(0, 12);
