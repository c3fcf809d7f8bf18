/**
 * The optional stylesheet for the rendered HTML, small enough to inline: rows of faces, round avatars
 * with the initials behind the photo (so a missing or broken photo shows them, without script), and
 * nothing else; colours inherit from the page. It overrides the initials' `hidden`: without it, a page
 * shows photos alone.
 */
export const LINKBACKS_CSS = `.pingbacks__faces{display:flex;flex-wrap:wrap;gap:.5rem 1rem;list-style:none;margin:.5rem 0 1rem;padding:0}
.pingbacks__faces>.pingback{margin:0}
.pingback__face{color:inherit;text-decoration:none}
.pingback__face>.pingback__author{display:inline-flex;align-items:center;gap:.4rem}
.pingback__face:hover .pingback__name,.pingback__face:focus-visible .pingback__name{text-decoration:underline}
.pingback__name{max-width:12em;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;font-size:.9em}
.pingback__avatar{display:inline-grid;flex:none;width:2rem;height:2rem;overflow:hidden;border-radius:50%;vertical-align:middle}
.pingback__author .pingback__avatar{width:1.5rem;height:1.5rem;margin-inline-end:.3rem}
.pingback__face .pingback__avatar{width:2rem;height:2rem;margin:0}
.pingback__avatar>*{grid-area:1/1;width:100%;height:100%}
.pingback__initials,.pingback__photo::after{display:grid;place-items:center;background:#ddd;color:#333;font:600 .75rem/1 system-ui,sans-serif}
.pingback__photo{position:relative;object-fit:cover;background:#fff}
.pingback__photo::after{content:attr(data-initials);position:absolute;inset:0}
`;
