// Chaman read once per plan: every object's dry run asks for its sender's accounts (the create
// guard's lookup, the R2 check of a planned create), and nothing changes in Chaman while a plan is
// made (it writes nothing). One list per sender, not one per account: Chaman is a government API.
import type { ChamanAccount, ChamanClient, ChamanSenderInfo } from '../chaman/types.ts';
import type { ChannelType, Permission } from '../domain/types.ts';

export type Reads = Pick<ChamanClient, 'listPermissions' | 'getSender' | 'listAccounts' | 'getAccount' | 'downloadCertificate'>;

export class ReadCache implements Reads {
  private readonly client: ChamanClient;
  private readonly memo = new Map<string, Promise<unknown>>();

  constructor(client: ChamanClient) {
    this.client = client;
  }

  private once<T>(key: string, read: () => Promise<T>): Promise<T> {
    let hit = this.memo.get(key) as Promise<T> | undefined;
    if (!hit) this.memo.set(key, (hit = read()));
    return hit;
  }

  listPermissions(channelType?: ChannelType): Promise<Permission[]> {
    return this.once(`permissions/${channelType ?? '*'}`, () => this.client.listPermissions(channelType));
  }

  getSender(senderNumber: string): Promise<ChamanSenderInfo> {
    return this.once(`sender/${senderNumber}`, () => this.client.getSender(senderNumber));
  }

  listAccounts(senderNumber: string): Promise<ChamanAccount[]> {
    return this.once(`accounts/${senderNumber}`, () => this.client.listAccounts(senderNumber));
  }

  /** From the sender's list when it was read (it holds every account with its certificates). */
  async getAccount(senderNumber: string, accountId: string): Promise<ChamanAccount> {
    const listed = this.memo.get(`accounts/${senderNumber}`) as Promise<ChamanAccount[]> | undefined;
    const found = listed ? (await listed.catch(() => [])).find((a) => a.id === accountId) : undefined;
    return found ?? this.once(`account/${senderNumber}/${accountId}`, () => this.client.getAccount(senderNumber, accountId));
  }

  downloadCertificate(senderNumber: string, accountId: string, certificateId: string): Promise<Uint8Array> {
    return this.client.downloadCertificate(senderNumber, accountId, certificateId);
  }
}
