import { SetMetadata } from '@nestjs/common';

export const PUBLIC_ROUTE = 'facecloud:public-route';

/** Marks a route (or a whole controller) as reachable without credentials. */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);
