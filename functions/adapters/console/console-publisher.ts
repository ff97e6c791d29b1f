/**
 * Prints alerts to a terminal instead of publishing them: used by the CLI when no topic is configured,
 * by dry runs and by the demo. It packs each alert with the same `toSnsMessage` as `SnsNotifier`
 * (shortening included), so what you see here is what an email subscriber and the Slack channel get.
 */
import type { ChatbotNotification } from '../../core/alerts/chat-card.ts';
import type { AlertGroup, AlertPublisher, PublishContext, PublishOutcome } from '../../core/ports.ts';
import type { Severity } from '../../core/types.ts';
import { type SnsMessage, toSnsMessage } from '../sns/sns-message.ts';

export type ConsoleFormat = 'email' | 'slack' | 'both' | 'json';

export interface ConsolePublisherOptions {
  /** Receives complete blocks of text, newline-terminated (e.g. `process.stdout.write`). */
  write: (text: string) => void;
  consoleBaseUrl: string;
  includeDownloadUrl: boolean;
  /** @default 'both' */
  format?: ConsoleFormat;
  /** ANSI colours for the frame and the severity. @default false */
  color?: boolean;
}

const ANSI = {
  reset: '\u001b[0m',
  bold: '\u001b[1m',
  dim: '\u001b[2m',
  red: '\u001b[31m',
  yellow: '\u001b[33m',
  cyan: '\u001b[36m',
} as const;

const SEVERITY_COLOUR: Readonly<Record<Severity, string>> = {
  critical: ANSI.red,
  warning: ANSI.yellow,
  info: ANSI.cyan,
};

/** Slack shows these shortcodes as emoji; a terminal shows the emoji itself. */
const EMOJI: ReadonlyArray<[string, string]> = [
  [':rotating_light:', '🚨'],
  [':warning:', '⚠️ '],
  [':information_source:', 'ℹ️ '],
];

export class ConsolePublisher implements AlertPublisher {
  readonly #write: (text: string) => void;
  readonly #consoleBaseUrl: string;
  readonly #includeDownloadUrl: boolean;
  readonly #format: ConsoleFormat;
  readonly #color: boolean;
  #published = 0;

  constructor(options: ConsolePublisherOptions) {
    this.#write = options.write;
    this.#consoleBaseUrl = options.consoleBaseUrl;
    this.#includeDownloadUrl = options.includeDownloadUrl;
    this.#format = options.format ?? 'both';
    this.#color = options.color ?? false;
  }

  async publish(groups: readonly AlertGroup[], context: PublishContext): Promise<PublishOutcome[]> {
    const outcomes: PublishOutcome[] = [];
    for (const group of groups) {
      const eventIds = group.events.map((e) => e.eventId);
      try {
        // The run may no longer publish (it lost its lease): print nothing more, keep it all owed.
        await context.checkpoint?.();
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        outcomes.push({ eventIds, ok: false, error: `Not printed: ${message}`, retryable: true });
        continue;
      }
      try {
        const rendered = toSnsMessage(group, {
          consoleBaseUrl: this.#consoleBaseUrl,
          includeDownloadUrl: this.#includeDownloadUrl,
          ...(this.#includeDownloadUrl && context.downloadUrls ? { downloadUrls: context.downloadUrls } : {}),
        });
        this.#write(this.#render(rendered));
        this.#published++;
        outcomes.push({ eventIds, ok: true, messageId: `console-${this.#published}` });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        outcomes.push({
          eventIds,
          ok: false,
          error: `Could not render the alert: ${message}`,
          retryable: false,
        });
      }
    }
    return outcomes;
  }

  #render(rendered: SnsMessage): string {
    const severity = rendered.severity;
    switch (this.#format) {
      case 'json':
        return `${JSON.stringify(JSON.parse(rendered.parts.default), null, 2)}\n`;
      case 'email':
        return this.#emailBlock(rendered, severity);
      case 'slack':
        return this.#slackBlock(rendered, severity);
      default:
        return `${this.#emailBlock(rendered, severity)}${this.#slackBlock(rendered, severity)}`;
    }
  }

  #emailBlock(rendered: SnsMessage, severity: Severity): string {
    const header = `Email  Subject: ${rendered.subject}`;
    return this.#frame(header, rendered.parts.email.split('\n'), severity);
  }

  #slackBlock(rendered: SnsMessage, severity: Severity): string {
    const card = JSON.parse(rendered.parts.https) as ChatbotNotification;
    const lines: string[] = [this.#bold(emoji(card.content.title)), ''];
    lines.push(...emoji(card.content.description).split('\n'));
    if (card.content.nextSteps.length > 0) {
      lines.push('', this.#bold('Next steps'));
      for (const step of card.content.nextSteps) lines.push(`  • ${step}`);
    }
    if (card.content.keywords.length > 0)
      lines.push('', card.content.keywords.map((k) => `[${k}]`).join(' '));
    return this.#frame(`Slack  thread ${card.metadata.threadId}`, lines, severity);
  }

  #frame(header: string, lines: string[], severity: Severity): string {
    const bar = this.#paint(ANSI.dim, '│');
    const top = `${this.#paint(ANSI.dim, '╭─')} ${this.#paint(`${ANSI.bold}${SEVERITY_COLOUR[severity] ?? ''}`, header)}`;
    const bottom = this.#paint(ANSI.dim, `╰${'─'.repeat(60)}`);
    return `${[top, ...lines.map((line) => (line === '' ? bar : `${bar} ${line}`)), bottom].join('\n')}\n`;
  }

  #bold(text: string): string {
    return this.#paint(ANSI.bold, text);
  }

  #paint(code: string, text: string): string {
    return this.#color ? `${code}${text}${ANSI.reset}` : text;
  }
}

function emoji(text: string): string {
  let out = text;
  for (const [code, symbol] of EMOJI) out = out.split(code).join(symbol);
  return out;
}
