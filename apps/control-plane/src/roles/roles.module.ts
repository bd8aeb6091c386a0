import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PrincipalEntity, RoleEntity } from '../database/entities/index.js';
import { RoleResolverService } from './role-resolver.service.js';
import { RolesRepository } from './roles.repository.js';
import { RolesService } from './roles.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([RoleEntity, PrincipalEntity])],
  providers: [RolesRepository, RoleResolverService, RolesService],
  exports: [RoleResolverService, RolesService],
})
export class RolesModule {}
