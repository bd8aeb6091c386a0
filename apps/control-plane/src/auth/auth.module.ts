import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PrincipalEntity } from '../database/entities/index.js';
import { PrincipalsModule } from '../principals/principals.module.js';
import { ApiKeyAuthenticator } from './api-key-authenticator.js';
import { BearerAuthenticator } from './bearer-authenticator.js';
import { OidcAuthenticator } from './oidc-authenticator.js';
import { ProtectedResourceMetadataController } from './protected-resource-metadata.controller.js';

@Module({
  imports: [PrincipalsModule, TypeOrmModule.forFeature([PrincipalEntity])],
  controllers: [ProtectedResourceMetadataController],
  providers: [ApiKeyAuthenticator, OidcAuthenticator, BearerAuthenticator],
  exports: [BearerAuthenticator],
})
export class AuthModule {}
