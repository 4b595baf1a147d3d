import { Repositories } from '@facecloud/storage';
import { parseCommandArgs, userIdArg, withDatabase, type AdminCommand } from '../command';

export const reprocessCommand: AdminCommand = {
  name: 'reprocess',
  synopsis: '[--owner ID]',
  summary:
    'queue every photo again; workers redo those an older pipeline produced (another embedder,\n' +
    'other detection settings: this is how to re-embed with another model) and failed ones, skip the rest',
  async run(argv) {
    const { values } = parseCommandArgs(argv, { owner: { type: 'string' } });
    const ownerId = values.owner === undefined ? undefined : userIdArg(values.owner);
    const queued = await withDatabase((database) => {
      const repositories = new Repositories();
      const jobs = ownerId ? repositories.forOwner(database.pool, ownerId).jobs : repositories.acrossOwners(database.pool).jobs;
      return jobs.enqueueAll();
    });
    console.log(`queued ${queued} photo(s)${ownerId ? ` of ${ownerId}` : ''} for reprocessing`);
    return 0;
  },
};
