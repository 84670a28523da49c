import { Aws, CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { ROLES } from '../../functions/platform/app/operator-identity.js';
import type { StageConfig } from '../stage.js';

/**
 * Operator sign-in for the console and /v1: either a Cognito user pool the stack creates (one group per
 * role, a managed-login domain and a public app client for the console's authorization code + PKCE flow),
 * or an external OIDC issuer named in context. Produces the `OIDC_*` environment every API function
 * reads (functions/platform/adapters/oidc-settings.ts); operator tokens keep working beside it.
 */
export class OperatorSignIn extends Construct {
  readonly environment: Record<string, string>;
  readonly userPool?: cognito.UserPool;
  readonly client?: cognito.UserPoolClient;

  constructor(scope: Construct, id: string, props: { config: StageConfig; consoleUrl: string }) {
    super(scope, id);
    const { config } = props;
    const external = config.oidc;
    if (external) {
      this.environment = {
        OIDC_ISSUER: external.issuer,
        OIDC_AUDIENCE: external.audience,
        ...(external.clientId ? { OIDC_CLIENT_ID: external.clientId } : {}),
        ...(external.rolesClaim ? { OIDC_ROLES_CLAIM: external.rolesClaim } : {}),
        ...(external.roleMap ? { OIDC_ROLE_MAP: external.roleMap } : {}),
      };
      return;
    }
    if (!config.cognito) {
      this.environment = {};
      return;
    }
    this.userPool = new cognito.UserPool(this, 'Users', {
      userPoolName: `${config.prefix}-operators`,
      // Operators are invited by an admin (AWS console or CLI), never sign themselves up.
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      passwordPolicy: { minLength: 12, requireLowercase: true, requireUppercase: true, requireDigits: true, requireSymbols: true, tempPasswordValidity: Duration.days(3) },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      // Plus: threat protection (compromised credentials, risky sign-ins) enforced; a handful of operators cost little.
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      deletionProtection: config.deletionProtection,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const role of ROLES) {
      new cognito.CfnUserPoolGroup(this, `Group${role[0]!.toUpperCase()}${role.slice(1)}`, {
        userPoolId: this.userPool.userPoolId,
        groupName: role,
        description: `upgrade control plane role ${role}`,
      });
    }
    const domain = this.userPool.addDomain('Domain', {
      // Unique per region: stage prefix and account.
      cognitoDomain: { domainPrefix: config.cognitoDomainPrefix ?? `${config.prefix}-${Aws.ACCOUNT_ID}` },
      managedLoginVersion: cognito.ManagedLoginVersion.CLASSIC_HOSTED_UI,
    });
    this.client = this.userPool.addClient('Console', {
      userPoolClientName: `${config.prefix}-console`,
      generateSecret: false,
      authFlows: { user: false, userSrp: false, userPassword: false, adminUserPassword: false, custom: false },
      oAuth: {
        flows: { authorizationCodeGrant: true, implicitCodeGrant: false },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        callbackUrls: [props.consoleUrl],
        logoutUrls: [props.consoleUrl],
      },
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(12),
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
    });
    const issuer = `https://cognito-idp.${Stack.of(this).region}.${Aws.URL_SUFFIX}/${this.userPool.userPoolId}`;
    this.environment = {
      OIDC_ISSUER: issuer,
      OIDC_AUDIENCE: this.client.userPoolClientId,
      OIDC_JWKS_URL: `${issuer}/.well-known/jwks.json`,
      OIDC_ROLES_CLAIM: 'cognito:groups',
      OIDC_AUTHORIZATION_ENDPOINT: `${domain.baseUrl()}/oauth2/authorize`,
      OIDC_TOKEN_ENDPOINT: `${domain.baseUrl()}/oauth2/token`,
    };
    new CfnOutput(scope, 'OperatorUserPoolId', { value: this.userPool.userPoolId, description: 'Cognito user pool of the operators: add users to the viewer/operator/approver/admin groups' });
    new CfnOutput(scope, 'OperatorSignInUrl', { value: `${domain.baseUrl()}/login?client_id=${this.client.userPoolClientId}&response_type=code&redirect_uri=${props.consoleUrl}`, description: 'Managed sign-in page (the console links to it)' });
  }
}
