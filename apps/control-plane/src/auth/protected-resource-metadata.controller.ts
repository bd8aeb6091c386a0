import { Controller, Get, Header, Inject, Req } from '@nestjs/common';
import type { ServerConfig } from '@tmcp/config';
import { SERVER_CONFIG } from '../config/server-config.token.js';
import {
  PROTECTED_RESOURCE_METADATA_PATH,
  protectedResourceMetadata,
  publicBaseUrl,
  type ProtectedResourceMetadata,
} from './protected-resource-metadata.js';

/** The parts of the express request read here. */
interface MetadataRequest {
  protocol: string;
  headers: { host?: string | undefined };
}

/** Anonymous by design (RFC 9728): clients read it after a 401 to find the authorization server. */
@Controller()
export class ProtectedResourceMetadataController {
  constructor(@Inject(SERVER_CONFIG) private readonly config: ServerConfig) {}

  // The root form and the path-suffixed form for the /mcp resource (RFC 9728 §3.1).
  @Get([PROTECTED_RESOURCE_METADATA_PATH, `${PROTECTED_RESOURCE_METADATA_PATH}/mcp`])
  @Header('cache-control', 'public, max-age=300')
  metadata(@Req() req: MetadataRequest): ProtectedResourceMetadata {
    const base = publicBaseUrl(
      this.config.service.publicUrl,
      `${req.protocol}://x/`,
      req.headers.host ?? null,
    );
    return protectedResourceMetadata(base, this.config.auth.oidc?.issuer);
  }
}
