-- 0049 each conversation's mood window kept in its mood row (issue #16: the AI's share of the
-- message path).
--
-- Why: every analysis batch read each conversation's latest ten-or-so analyses back (through
-- ai_message_analysis_conversation_idx, then a messages primary-key probe per row for its time)
-- to recompute the mood from them: 7,193 buffers and 5 ms of PostgreSQL a call for a batch of
-- about a hundred conversations in bench/ingest.py, and a row object per score in the daemon.
-- The batch already computes the new window; it now stores it beside the score it came from,
-- and the next batch reads it with the mood row (ai_conversation_mood_pkey, one row a
-- conversation).
--
-- `window_ids` and `window_scores` are the last analysed customer messages of the conversation
-- (at most ai/batch.py's MOOD_WINDOW), oldest first, and their sentiment. The ids let a retried
-- batch, which analyses the same messages again, replace their scores instead of adding them
-- twice.
ALTER TABLE ai_conversation_mood
    ADD COLUMN window_ids uuid[] NOT NULL DEFAULT '{}',
    ADD COLUMN window_scores real[] NOT NULL DEFAULT '{}',
    ADD CONSTRAINT ai_conversation_mood_window_check
        CHECK (cardinality(window_ids) = cardinality(window_scores));

-- The windows of the moods already kept: the ten latest analyses of each conversation, in the
-- order their messages arrived (what the read this replaces returned).
UPDATE ai_conversation_mood m
   SET window_ids = w.ids, window_scores = w.scores
  FROM (SELECT conversation_id,
               array_agg(message_id ORDER BY created_at, message_id) AS ids,
               array_agg(sentiment ORDER BY created_at, message_id) AS scores
          FROM (SELECT a.conversation_id, a.message_id, a.sentiment, msg.created_at,
                       row_number() OVER (PARTITION BY a.conversation_id
                                          ORDER BY a.analyzed_at DESC, msg.created_at DESC)
                           AS latest
                  FROM ai_message_analysis a
                  JOIN messages msg ON msg.id = a.message_id) AS ranked
         WHERE latest <= 10
         GROUP BY conversation_id) AS w
 WHERE w.conversation_id = m.conversation_id;
