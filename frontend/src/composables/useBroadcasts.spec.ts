import { describe, expect, it } from 'vitest'
import { BODY_MAX, CAPTION_MAX, bodyLimit, charCount, progressPercent, toNewBroadcast } from './useBroadcasts'
import { broadcast } from '../test/notifications'

describe('broadcast helpers', () => {
  it('limits the body to 4096 characters, 1024 for a Telegram photo caption', () => {
    expect(bodyLimit('email', false)).toBe(BODY_MAX)
    expect(bodyLimit('email', true)).toBe(BODY_MAX)
    expect(bodyLimit('telegram', false)).toBe(BODY_MAX)
    expect(bodyLimit('telegram', true)).toBe(CAPTION_MAX)
    expect(charCount('héllo 👋')).toBe(7)
  })

  it('computes progress as (total − remaining) / total', () => {
    expect(progressPercent(broadcast(1, { status: 'running', progress: { total: 8, remaining: 6 } }))).toBe(25)
    expect(progressPercent(broadcast(1, { status: 'running', progress: { total: 0, remaining: 0 } }))).toBe(0)
    expect(progressPercent(broadcast(1, { status: 'done', progress: { total: 0, remaining: 0 } }))).toBe(100)
    expect(progressPercent(broadcast(1, { status: 'running', progress: { total: 3, remaining: 1 } }))).toBe(67)
  })

  it('sends a subject only for email and no empty photo URL', () => {
    expect(toNewBroadcast({ channel: 'email', subject: ' Hi ', body: 'Body', photoUrl: '  ' })).toEqual({
      channel: 'email',
      subject: 'Hi',
      body: 'Body',
      photo_url: null,
    })
    expect(toNewBroadcast({ channel: 'telegram', subject: 'ignored', body: 'Body', photoUrl: ' https://x.test/a.png ' })).toEqual({
      channel: 'telegram',
      subject: null,
      body: 'Body',
      photo_url: 'https://x.test/a.png',
    })
  })
})
