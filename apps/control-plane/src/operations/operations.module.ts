import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OperationEntity } from '../database/entities/index.js';
import { OperationOrphanSweeper } from './operation-orphan-sweeper.js';
import { OperationsService } from './operations.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([OperationEntity])],
  providers: [OperationsService, OperationOrphanSweeper],
  exports: [OperationsService],
})
export class OperationsModule {}
