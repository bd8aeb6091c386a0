// A full control-plane app with the MCP gateway, composed like server.ts composes it, for
// integration tests of this workspace (and of other tool domains: pass their modules in
// `imports`). Listens on 127.0.0.1 on a free port.
import type { AddressInfo } from 'node:net';
import { type DynamicModule, Module, type ModuleMetadata } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { AppModule, type AppDependencies } from '../app.module.js';
import { InventoryModule } from '../inventory/inventory.module.js';
import { TeleportModule } from '../teleport/teleport.module.js';
import { mountMcpEndpoint } from './mcp-endpoint-mount.js';
import { McpModule } from './mcp.module.js';

export interface McpTestApp {
  /** http://127.0.0.1:<port> */
  readonly baseUrl: string;
  /** <baseUrl>/mcp */
  readonly mcpUrl: string;
  readonly app: NestExpressApplication;
  close(): Promise<void>;
}

export interface McpTestAppOptions {
  /** More modules (tool sources of other domains, option providers). */
  imports?: NonNullable<ModuleMetadata['imports']>;
  /** Extra providers (made global). */
  providers?: NonNullable<ModuleMetadata['providers']>;
}

@Module({})
class McpTestRootModule {
  static forRoot(deps: AppDependencies, options: McpTestAppOptions): DynamicModule {
    const providers = options.providers ?? [];
    return {
      module: McpTestRootModule,
      global: true,
      imports: [
        AppModule.forRoot(deps),
        TeleportModule,
        McpModule,
        InventoryModule,
        ...(options.imports ?? []),
      ],
      providers,
      exports: providers.flatMap((p) =>
        typeof p === 'function' ? [p] : 'provide' in p ? [p.provide] : [],
      ),
    };
  }
}

export async function startMcpTestApp(
  deps: AppDependencies,
  options: McpTestAppOptions = {},
): Promise<McpTestApp> {
  const adapter = new ExpressAdapter();
  const mcp = mountMcpEndpoint(adapter.getInstance());
  const app = await NestFactory.create<NestExpressApplication>(
    McpTestRootModule.forRoot(deps, options),
    adapter,
    {
      logger: false,
      abortOnError: false,
      bodyParser: false,
    },
  );
  app.useBodyParser('json', { limit: deps.config.service.maxBodyBytes });
  mcp.attach(app);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  return { baseUrl, mcpUrl: `${baseUrl}/mcp`, app, close: () => app.close() };
}
