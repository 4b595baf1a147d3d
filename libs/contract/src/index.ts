/**
 * The HTTP API's contract: zod schemas of its requests and answers. The API validates
 * requests and generates its OpenAPI document with them, builds its answers as their
 * types, and the admin web UI types its client with them. Browser-safe: zod only.
 */
export * from './text';
export * from './people';
export * from './photos';
export * from './clustering';
