import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PrincipalEntity, RoleEntity } from '../database/entities/index.js';
import { DEFAULT_SCRYPT_PARAMS } from './api-key.js';
import { PRINCIPALS_SCRYPT_PARAMS, PrincipalsService } from './principals.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([PrincipalEntity, RoleEntity])],
  providers: [
    PrincipalsService,
    { provide: PRINCIPALS_SCRYPT_PARAMS, useValue: DEFAULT_SCRYPT_PARAMS },
  ],
  exports: [PrincipalsService],
})
export class PrincipalsModule {}
