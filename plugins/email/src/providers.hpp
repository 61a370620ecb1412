#pragma once

#include <rapidjson/document.h>

#include "email_fields.hpp"
#include "form_body.hpp"
#include "problems.hpp"

// One reader per webhook provider: each turns the provider's request into EmailFields, or
// records why it cannot (raw MIME is mime.hpp's read_message).
namespace memolib::plugins::email {

// Mailgun routes, forward() and store(notify=…): urlencoded or multipart fields.
bool read_mailgun(const FormBody& form, EmailFields& fields, Problems& problems);

// SendGrid Inbound Parse, default (parsed fields) and "send raw" (`email`) variants.
bool read_sendgrid(const FormBody& form, EmailFields& fields, Problems& problems);

// Postmark inbound webhook JSON.
bool read_postmark(const rapidjson::Value& root, EmailFields& fields, Problems& problems);

}  // namespace memolib::plugins::email
