import { applyDecorators, Injectable, type INestApplication, type OnModuleInit } from '@nestjs/common';
import { ApplicationConfig, HttpAdapterHost, ModulesContainer } from '@nestjs/core';
import type { ExpressAdapter } from '@nestjs/platform-express';
import { ApiBody, ApiOkResponse, ApiProduces, ApiQuery, DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger';
import { z } from 'zod';

/** OpenAPI 3.0 schema of a zod schema: requests as clients send them, responses as sent. */
export function openApiSchema(schema: z.ZodType, io: 'input' | 'output' = 'output'): SchemaObject {
  return z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as SchemaObject;
}

/** Documents each field of a zod object as a query parameter. */
export function ApiZodQuery(schema: z.ZodObject) {
  const json = openApiSchema(schema, 'input');
  const required = new Set(json.required ?? []);
  return applyDecorators(
    ...Object.entries(json.properties ?? {}).map(([name, property]) =>
      ApiQuery({
        name,
        required: required.has(name),
        schema: property as SchemaObject,
        description: (property as SchemaObject).description,
      }),
    ),
  );
}

export const ApiZodBody = (schema: z.ZodType) => ApiBody({ schema: openApiSchema(schema, 'input') });
export const ApiZodOk = (schema: z.ZodType, description?: string) =>
  ApiOkResponse({ schema: openApiSchema(schema, 'output'), description });
export const ApiJpeg = (description: string) =>
  applyDecorators(ApiProduces('image/jpeg'), ApiOkResponse({ description, schema: { type: 'string', format: 'binary' } }));

/**
 * Serves Swagger UI at /docs and the OpenAPI document at /docs-json, built on first request
 * from the controllers' decorators. Registered from a module hook so that every process
 * serving the API (api, all-in-one) gets it with no change to the shared bootstrap; it runs
 * in onModuleInit, after the routes and before Nest's not-found handler, so the docs routes
 * are reachable. SwaggerModule wants the application, of which it reads only the module
 * container, the application config, the HTTP adapter and static-file serving: those are
 * handed over here from Nest's injectable core providers.
 */
@Injectable()
export class ApiDocs implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly modules: ModulesContainer,
    private readonly applicationConfig: ApplicationConfig,
  ) {}

  onModuleInit(): void {
    const httpAdapter = this.adapterHost.httpAdapter as ExpressAdapter | undefined;
    if (!httpAdapter) return; // no HTTP server in this process
    const app = {
      container: { getModules: () => this.modules, isGlobalModule: () => false },
      config: this.applicationConfig,
      getHttpAdapter: () => httpAdapter,
      useStaticAssets: (path: string, options: object) => httpAdapter.useStaticAssets(path, options),
    } as unknown as INestApplication;
    const config = new DocumentBuilder()
      .setTitle('Facecloud')
      .setDescription(
        'Face clustering for photo clouds: photos, faces, people. Every route acts for the calling user; ' +
          "ids of another user's photos, faces, persons or merges answer 404.",
      )
      .setVersion('1')
      .build();
    SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, config), { jsonDocumentUrl: 'docs-json' });
  }
}
