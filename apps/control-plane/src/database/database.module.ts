import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

@Module({})
export class DatabaseModule {
  /**
   * Hands Nest the DataSource built by `createDataSource` and already connected (and migrated)
   * before the app is built; TypeORM's Nest module destroys it at shutdown.
   */
  static forRoot(dataSource: DataSource): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => dataSource.options,
          dataSourceFactory: () => Promise.resolve(dataSource),
        }),
      ],
      exports: [TypeOrmModule],
    };
  }
}
