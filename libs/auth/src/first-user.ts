import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@facecloud/config';
import { AuthService } from './auth.service';

/**
 * The embedded default's single user: on the first start with no user at all, creates
 * "local" and prints its password (browser login) and API token once, to the log and to
 * stderr. Later starts find a user and print nothing.
 */
@Injectable()
export class FirstUserBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger('Auth');

  constructor(
    private readonly auth: AuthService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.AUTH_CREATE_FIRST_USER) return;
    const created = await this.auth.createFirstUser();
    if (!created) return;
    const message =
      `first start: created user "${created.userId}" with password ${created.password} and API token ${created.token}` +
      ' (shown only now; more with `npm run admin -- user create <id>` / `token create <id>`)';
    this.logger.warn(message);
    process.stderr.write(`\n${message}\n\n`);
  }
}
