import { existsSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { Logger, Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { findRepoRoot } from '@facecloud/config';

/** Where `npm run build` puts the admin UI (Vite, apps/admin-web). */
export const adminWebDir = join(findRepoRoot(), 'dist', 'admin-web');
const mountPath = '/admin';

/**
 * The admin UI's pages may load only what the UI itself serves: no CDN, no inline script.
 * Images also come from blob: (local previews of files about to be uploaded) and data:
 * (icons in the stylesheet).
 */
const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

/**
 * Serves the built admin UI at /admin: files under it as they are, any other path below
 * /admin (a page of the single-page app) as index.html. Vite names assets by content hash,
 * so they are cached for a year; index.html is revalidated on every load (ETag), so a new
 * build shows up at once. Express's res.sendFile does ETag, Last-Modified, Range and path
 * checks; what is left here (mount point, SPA fallback, cache policy) is too small for a
 * dependency.
 */
export function adminWebHandler(root: string) {
  return (request: Request, response: Response, next: NextFunction): void => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return next();
    const pathname = (request.originalUrl.split('?')[0] ?? '').replace(/\/{2,}/g, '/');
    if (pathname !== mountPath && !pathname.startsWith(`${mountPath}/`)) return next();
    if (pathname === mountPath) {
      const query = request.originalUrl.slice(pathname.length);
      return response.redirect(301, `${mountPath}/${query}`);
    }
    let relative: string;
    try {
      relative = normalize(decodeURIComponent(pathname.slice(mountPath.length + 1)));
    } catch {
      response.status(400).json({ statusCode: 400, message: 'malformed path', error: 'Bad Request' });
      return;
    }
    if (relative.startsWith('..') || relative.split(sep).some((part) => part.startsWith('.') && part !== '.')) {
      response.status(404).json({ statusCode: 404, message: `${pathname} not found`, error: 'Not Found' });
      return;
    }
    response.setHeader('Content-Security-Policy', contentSecurityPolicy);
    response.setHeader('X-Content-Type-Options', 'nosniff');
    response.setHeader('Referrer-Policy', 'same-origin');

    const file = relative === '.' ? '' : relative;
    if (file && isFile(join(root, file))) {
      const hashed = file.startsWith(`assets${sep}`);
      response.sendFile(file, {
        root,
        cacheControl: false,
        headers: { 'Cache-Control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache' },
      });
      return;
    }
    // A missing file (it has an extension) is a 404; anything else is a route of the app.
    if (extname(file) !== '' || !isFile(join(root, 'index.html'))) {
      const built = isFile(join(root, 'index.html'));
      response.status(404).json({
        statusCode: 404,
        message: built ? `${pathname} not found` : 'the admin web UI is not built: run `npm run build`',
        error: 'Not Found',
      });
      return;
    }
    response.sendFile('index.html', { root, cacheControl: false, headers: { 'Cache-Control': 'no-cache' } });
  };
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Mounts the admin UI on the API's HTTP server (public: the data behind it needs the API's auth). */
@Module({})
export class AdminWebModule implements NestModule {
  private readonly logger = new Logger(AdminWebModule.name);

  configure(consumer: MiddlewareConsumer): void {
    if (!existsSync(join(adminWebDir, 'index.html'))) {
      this.logger.warn(`admin web UI not built (${adminWebDir} missing): /admin answers 404 until \`npm run build\``);
    }
    consumer
      .apply(adminWebHandler(adminWebDir))
      .forRoutes({ path: 'admin', method: RequestMethod.ALL }, { path: 'admin/*path', method: RequestMethod.ALL });
  }
}
