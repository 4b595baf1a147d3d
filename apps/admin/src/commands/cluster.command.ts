import { ClusteringModule, ClusteringQueueService } from '@facecloud/clustering';
import { parseCommandArgs, userIdArg, withServices, type AdminCommand } from '../command';

export const clusterCommand: AdminCommand = {
  name: 'cluster',
  synopsis: '[--owner ID]',
  summary: "re-cluster one owner's faces now (default: every library whose faces changed)",
  async run(argv) {
    const { values } = parseCommandArgs(argv, { owner: { type: 'string' } });
    const ownerId = values.owner === undefined ? undefined : userIdArg(values.owner);
    await withServices([ClusteringModule], async (app) => {
      const clustering = app.get(ClusteringQueueService);
      if (ownerId) console.log(JSON.stringify(await clustering.clusterOwner(ownerId)));
      else console.log(`re-clustered ${await clustering.clusterChangedOwners()} changed librar(ies)`);
    });
    return 0;
  },
};
