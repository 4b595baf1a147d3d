import { Module } from '@nestjs/common';
import { FaceClusteringService } from './face-clustering.service';

/** Needs the (global) config and storage modules. */
@Module({ providers: [FaceClusteringService], exports: [FaceClusteringService] })
export class ClusteringModule {}
