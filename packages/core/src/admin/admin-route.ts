import type { AdminDeps, AdminPage, AdminRequestContext } from './admin-page.ts';
import type { PlainRequest, PlainResponse } from '../receive/plain-http.ts';
import { ownsAdminPath } from './admin-path.ts';

/**
 * The moderation page as the receiver routes it: which paths are its, known at once; the page itself (its
 * views, forms, session checks, stylesheet and script) loaded on its first request. A cold Function
 * answering a pingback never loads it.
 */
export class AdminRoute {
  private readonly deps: AdminDeps;
  private page: Promise<AdminPage> | undefined;

  constructor(deps: AdminDeps) {
    this.deps = deps;
  }

  /** Whether a request path is the page's: its path or anything under it. */
  owns(pathname: string): boolean {
    return ownsAdminPath(this.deps.settings.path, pathname);
  }

  get path(): string {
    return this.deps.settings.path;
  }

  async handle(request: PlainRequest, context: AdminRequestContext = {}): Promise<PlainResponse> {
    // A failed load is tried again on the next request rather than kept.
    this.page ??= import('./admin-page.ts').then(
      ({ AdminPage }) => new AdminPage(this.deps),
      (error: unknown) => {
        this.page = undefined;
        throw error;
      },
    );
    return (await this.page).handle(request, context);
  }
}
