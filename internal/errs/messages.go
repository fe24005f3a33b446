package errs

import "strings"

// Language is a language the service writes its messages in.
type Language string

// The supported languages; English is the default.
const (
	English    Language = "en"
	Portuguese Language = "pt-BR"
)

type message struct{ en, pt string }

// catalog holds every message by code. Titles of kinds are keyed "kind.<kind>".
var catalog = map[string]message{
	"kind.malformed":       {"Malformed request", "Requisição malformada"},
	"kind.invalid":         {"Invalid request", "Requisição inválida"},
	"kind.not_found":       {"Not found", "Não encontrado"},
	"kind.conflict":        {"Conflict", "Conflito"},
	"kind.precondition":    {"Precondition failed", "Pré-condição falhou"},
	"kind.forbidden":       {"Forbidden", "Proibido"},
	"kind.unauthenticated": {"Unauthenticated", "Não autenticado"},
	"kind.too_large":       {"Payload too large", "Conteúdo grande demais"},
	"kind.internal":        {"Internal error", "Erro interno"},

	// Errors.
	"internal":                 {"Something went wrong on our side. Try again later.", "Algo deu errado do nosso lado. Tente novamente mais tarde."},
	"unauthenticated":          {"A valid bearer token is required.", "É necessário um token de acesso válido."},
	"ids_or_filter":            {"Give ids or a filter, not both.", "Informe ids ou um filtro, não os dois."},
	"note_not_found":           {"The contact has no note with this id.", "O contato não tem uma nota com este id."},
	"conversation_not_found":   {"No conversation with this id in the workspace.", "Nenhuma conversa com este id no workspace."},
	"forbidden_role":           {"Your role does not allow this action.", "Seu perfil não permite esta ação."},
	"route_not_found":          {"No such route.", "Rota inexistente."},
	"malformed_json":           {"The request body is not valid JSON: {reason}.", "O corpo da requisição não é um JSON válido: {reason}."},
	"body_not_object":          {"The request body must be a JSON object.", "O corpo da requisição deve ser um objeto JSON."},
	"body_too_large":           {"The request body is larger than {max} bytes.", "O corpo da requisição tem mais de {max} bytes."},
	"validation_failed":        {"Some fields are invalid.", "Alguns campos são inválidos."},
	"contact_not_found":        {"Contact not found.", "Contato não encontrado."},
	"version_mismatch":         {"This was changed since you read it (current version {current}). Reload it and try again.", "Isto foi alterado desde que você o leu (versão atual {current}). Recarregue e tente novamente."},
	"if_match_invalid":         {"If-Match must be * or a list of quoted entity tags, e.g. \"3\".", "If-Match deve ser * ou uma lista de entity tags entre aspas, por exemplo \"3\"."},
	"idempotency_key_reused":   {"This Idempotency-Key was already used with a different request body.", "Esta Idempotency-Key já foi usada com outro corpo de requisição."},
	"idempotency_key_invalid":  {"Idempotency-Key must have 1 to {max} visible ASCII characters.", "Idempotency-Key deve ter de 1 a {max} caracteres ASCII visíveis."},
	"idempotency_key_reserved": {"Idempotency-Key must not start with {prefix}: the service keeps those keys for itself.", "Idempotency-Key não pode começar com {prefix}: o serviço reserva essas chaves para si."},
	"idempotency_key_in_use":   {"Another request with this Idempotency-Key is being processed. Try again.", "Outra requisição com esta Idempotency-Key está em andamento. Tente novamente."},
	"main_contact_changed":     {"The main contact was deleted or linked meanwhile. Reload and try again.", "O contato principal foi excluído ou vinculado nesse meio-tempo. Recarregue e tente novamente."},
	"contact_too_large":        {"The contact has too many tags, phones and emails together to be saved at once. Remove some and try again.", "O contato tem etiquetas, telefones e e-mails demais, somados, para ser salvo de uma vez. Remova alguns e tente novamente."},
	"concurrent_update":        {"The contact is being changed by someone else. Try again.", "O contato está sendo alterado por outra pessoa. Tente novamente."},
	"fields_not_found":         {"No custom field definitions yet.", "Ainda não há definições de campos personalizados."},

	"tag_not_found":                 {"Tag not found.", "Etiqueta não encontrada."},
	"tag_name_taken":                {"A tag with this name already exists.", "Já existe uma etiqueta com este nome."},
	"too_many_tags":                 {"The workspace already has {max} tags.", "A área de trabalho já tem {max} etiquetas."},
	"contact_blocked":               {"The contact is blocked. Unblock it to talk to it.", "O contato está bloqueado. Desbloqueie-o para conversar."},
	"message_seen":                  {"This message was already received.", "Esta mensagem já foi recebida."},
	"channel_not_connected":         {"The contact is not connected to this channel.", "O contato não está conectado a este canal."},
	"template_not_found":            {"Message template not found.", "Modelo de mensagem não encontrado."},
	"too_many_templates":            {"The workspace already has {max} message templates.", "A área de trabalho já tem {max} modelos de mensagem."},
	"contact_merged":                {"This contact was merged into contact {mergedInto}.", "Este contato foi mesclado ao contato {mergedInto}."},
	"contact_merging":               {"A merge (or its undo) is running on this contact. Try again in a moment.", "Uma mesclagem (ou o seu desfazer) está em andamento neste contato. Tente novamente em instantes."},
	"contact_already_merged":        {"This contact was merged into contact {mergedInto} meanwhile.", "Este contato foi mesclado ao contato {mergedInto} nesse meio-tempo."},
	"suggestion_not_found":          {"No such merge suggestion (its contacts may have changed).", "Sugestão de mesclagem inexistente (os contatos podem ter mudado)."},
	"suggestion_changed":            {"The contacts of this suggestion changed; reload it.", "Os contatos desta sugestão mudaram; recarregue-a."},
	"confirm_count_mismatch":        {"The workspace has {current} contacts, not the number confirmed. Confirm again.", "A área de trabalho tem {current} contatos, não o número confirmado. Confirme novamente."},
	"count_unavailable":             {"No counter keeps this filter: count the list, the whole workspace, one wallet, one tag or the pending list (with blocked=true or not).", "Nenhum contador guarda este filtro: conte a lista, a área de trabalho inteira, uma carteira, uma etiqueta ou os pendentes (com blocked=true ou não)."},
	"job_not_found":                 {"Job not found.", "Tarefa não encontrada."},
	"job_ended":                     {"This job has already ended.", "Esta tarefa já terminou."},
	"job_not_cancellable":           {"This job cannot be cancelled: it unlinks the contacts of a deleted company.", "Esta tarefa não pode ser cancelada: ela desvincula os contatos de uma empresa excluída."},
	"job_not_started":               {"The job never started: its file did not arrive, or the event that was to start it was lost. Start it again.", "A tarefa não começou: o arquivo não chegou, ou o evento que a iniciaria se perdeu. Inicie-a de novo."},
	"external_id_taken":             {"Another contact of the workspace has this externalId.", "Outro contato da área de trabalho já tem este externalId."},
	"contact_exists":                {"A contact with this id already exists.", "Já existe um contato com este id."},
	"job_cancelled":                 {"The job was cancelled.", "A tarefa foi cancelada."},
	"unknown_message":               {"Unknown message kind.", "Tipo de mensagem desconhecido."},
	"export_too_many_rows_for_xlsx": {"More than {max} contacts do not fit one XLSX sheet; export as CSV.", "Mais de {max} contatos não cabem em uma planilha XLSX; exporte em CSV."},
	"file_too_large":                {"The file is larger than {max} bytes.", "O arquivo tem mais de {max} bytes."},
	"unzipped_too_large":            {"The workbook unpacks to more than {max} bytes.", "A planilha descompactada passa de {max} bytes."},
	"too_many_rows":                 {"The file has more than {max} rows.", "O arquivo tem mais de {max} linhas."},
	"too_many_columns":              {"Line {line} has more than {max} columns.", "A linha {line} tem mais de {max} colunas."},
	"record_too_large":              {"Line {line} is longer than {max} bytes.", "A linha {line} tem mais de {max} bytes."},
	"too_many_fields":               {"Line {line} has more than {max} cells, empty ones included.", "A linha {line} tem mais de {max} células, contando as vazias."},
	"cell_too_long":                 {"A cell of line {line} has more than {max} characters.", "Uma célula da linha {line} tem mais de {max} caracteres."},
	"too_many_shared_strings":       {"The workbook has more than {max} distinct texts; save it as CSV.", "A planilha tem mais de {max} textos distintos; salve-a como CSV."},
	"shared_string_too_long":        {"A text of the workbook is longer than {max} bytes.", "Um texto da planilha tem mais de {max} bytes."},
	"workbook_too_complex":          {"The workbook's styles and other parts have more than {max} XML elements and attributes; save it as CSV.", "Os estilos e outras partes da planilha têm mais de {max} elementos e atributos XML; salve-a como CSV."},
	"file_not_xlsx":                 {"The file is named .xlsx but is not an Excel workbook.", "O arquivo tem extensão .xlsx mas não é uma planilha do Excel."},
	"file_format_unsupported":       {"This format cannot be read (old .xls or a protected workbook); save as .xlsx or CSV.", "Este formato não pode ser lido (.xls antigo ou planilha protegida); salve como .xlsx ou CSV."},
	"file_unreadable":               {"The file cannot be read as CSV or XLSX.", "O arquivo não pode ser lido como CSV ou XLSX."},
	"file_empty":                    {"The file has no rows.", "O arquivo não tem linhas."},
	"merge_not_found":               {"Merge not found.", "Mesclagem não encontrada."},
	"merge_undo_conflict":           {"The merge cannot be undone: changed since it: {fields}.", "A mesclagem não pode ser desfeita: alterado desde então: {fields}."},
	"merge_already_undone":          {"This merge was already undone.", "Esta mesclagem já foi desfeita."},
	"merge_target_deleted":          {"The contact the merge kept was deleted; the merge cannot be undone.", "O contato mantido pela mesclagem foi excluído; a mesclagem não pode ser desfeita."},
	"merge_too_large":               {"These contacts together have too many lookups and index entries for one merge; merge fewer at a time.", "Estes contatos juntos têm entradas demais para uma só mesclagem; mescle menos de cada vez."},
	"company_not_found":             {"Company not found.", "Empresa não encontrada."},
	"ambiguous_company":             {"{count} companies have this name: give the company's id in a companyId column.", "{count} empresas têm este nome: informe o id da empresa numa coluna companyId."},
	"company_tax_id_taken":          {"Another company of the workspace has this CNPJ.", "Outra empresa do espaço de trabalho tem este CNPJ."},
	"cursor_invalid":                {"The cursor is not valid for this list. Start again from the first page.", "O cursor não é válido para esta lista. Recomece da primeira página."},

	// Field rules.
	"required":                      {"This field is required.", "Este campo é obrigatório."},
	"invalid_type":                  {"Must be a {type}.", "Deve ser do tipo {type}."},
	"unknown_field":                 {"Unknown field.", "Campo desconhecido."},
	"read_only":                     {"This field is read-only.", "Este campo é somente leitura."},
	"too_long":                      {"Must have at most {max} characters.", "Deve ter no máximo {max} caracteres."},
	"too_many":                      {"Must have at most {max} items.", "Deve ter no máximo {max} itens."},
	"duplicate":                     {"Must not repeat {value}.", "Não deve repetir {value}."},
	"phone_invalid":                 {"Not a valid phone number.", "Número de telefone inválido."},
	"email_invalid":                 {"Not a valid email address.", "Endereço de e-mail inválido."},
	"cnpj_invalid":                  {"Not a CNPJ (14 characters).", "Não é um CNPJ (14 caracteres)."},
	"domain_invalid":                {"Not a valid domain name, e.g. acme.com.br.", "Não é um domínio válido, ex.: acme.com.br."},
	"tax_id_invalid":                {"Not a CPF (11 digits) or CNPJ (14 characters).", "Não é um CPF (11 dígitos) nem um CNPJ (14 caracteres)."},
	"tax_id_check_digits":           {"The CPF/CNPJ check digits do not match.", "Os dígitos verificadores do CPF/CNPJ não conferem."},
	"date_invalid":                  {"Must be a date as YYYY-MM-DD or DD/MM/YYYY.", "Deve ser uma data no formato AAAA-MM-DD ou DD/MM/AAAA."},
	"date_in_future":                {"Must not be in the future.", "Não pode ser uma data futura."},
	"country_invalid":               {"Must be an ISO 3166-1 alpha-2 country code, e.g. BR.", "Deve ser um código de país ISO 3166-1 alfa-2, por exemplo BR."},
	"language_invalid":              {"Must be a BCP 47 language tag, e.g. pt-BR.", "Deve ser uma etiqueta de idioma BCP 47, por exemplo pt-BR."},
	"url_invalid":                   {"Must be an absolute https URL.", "Deve ser uma URL https absoluta."},
	"choice_invalid":                {"Must be one of: {choices}.", "Deve ser um destes: {choices}."},
	"phone_or_email_required":       {"A contact needs a phone number or an email address.", "Um contato precisa de um telefone ou de um e-mail."},
	"external_id_invalid":           {"Must be at most {max} printable characters.", "Deve ter no máximo {max} caracteres imprimíveis."},
	"external_id_mismatch":          {"Must be the externalId of the path, or left out.", "Deve ser o externalId do caminho, ou omitido."},
	"id_invalid":                    {"Not a valid id.", "Identificador inválido."},
	"owner_id_reserved":             {"\"none\" is reserved: it filters the contacts without an owner.", "\"none\" é reservado: filtra os contatos sem responsável."},
	"key_invalid":                   {"Must start with a lowercase letter and have only a-z, 0-9 and _ (at most 64).", "Deve começar com letra minúscula e ter apenas a-z, 0-9 e _ (no máximo 64)."},
	"color_invalid":                 {"Must be a color as #rrggbb.", "Deve ser uma cor no formato #rrggbb."},
	"tag_unknown":                   {"No such tag.", "Etiqueta inexistente."},
	"limit_invalid":                 {"Must be a whole number from 1 to {max}.", "Deve ser um número inteiro de 1 a {max}."},
	"main_contact_self":             {"A contact cannot be its own main contact.", "Um contato não pode ser o seu próprio contato principal."},
	"main_contact_unknown":          {"No such contact.", "Contato inexistente."},
	"main_contact_linked":           {"That contact is itself linked to a main contact; link to its main contact instead.", "Esse contato já está vinculado a um contato principal; vincule ao principal dele."},
	"contact_is_main":               {"Other contacts are linked to this one; a main contact cannot be linked.", "Outros contatos estão vinculados a este; um contato principal não pode ser vinculado."},
	"channel_id_invalid":            {"Must start with a lowercase letter or digit and have only a-z, 0-9, _ and - (at most 40).", "Deve começar com letra minúscula ou dígito e ter apenas a-z, 0-9, _ e - (no máximo 40)."},
	"channel_unknown":               {"The workspace has no such channel.", "A área de trabalho não tem este canal."},
	"contact_must_write_first":      {"The contact must write first on this channel.", "O contato precisa escrever primeiro neste canal."},
	"contact_has_no_phone":          {"The contact has no phone number for this channel.", "O contato não tem telefone para este canal."},
	"contact_has_no_email":          {"The contact has no email address for this channel.", "O contato não tem e-mail para este canal."},
	"contact_or_phone_required":     {"Give either contactId or phone.", "Informe contactId ou phone, um dos dois."},
	"no_contact_with_phone":         {"No contact has this number; set createContact to create one.", "Nenhum contato tem este número; use createContact para criar um."},
	"template_required":             {"The official WhatsApp API starts conversations only with an approved message template.", "A API oficial do WhatsApp só inicia conversas com um modelo de mensagem aprovado."},
	"template_unknown":              {"No such message template.", "Modelo de mensagem inexistente."},
	"template_not_approved":         {"The template is {status}, not approved.", "O modelo está {status}, não aprovado."},
	"template_language_mismatch":    {"The template is in {language}.", "O modelo está em {language}."},
	"template_parameters_mismatch":  {"The template needs exactly {count} parameters.", "O modelo precisa de exatamente {count} parâmetros."},
	"template_name_invalid":         {"Must have only a-z, 0-9 and _ (at most 100).", "Deve ter apenas a-z, 0-9 e _ (no máximo 100)."},
	"template_language_invalid":     {"Must be a language code such as pt_BR or en.", "Deve ser um código de idioma como pt_BR ou en."},
	"template_placeholders_invalid": {"Placeholders must be {{1}} to {{n}}, none skipped.", "Os parâmetros devem ser {{1}} a {{n}}, sem pular nenhum."},
	"parameter_count_invalid":       {"Must be a whole number from 0 to {max}.", "Deve ser um número inteiro de 0 a {max}."},
	"parameter_count_mismatch":      {"The body has {count} parameters.", "O corpo tem {count} parâmetros."},
	"sender_required":               {"A phone, an email or a channel user id is required.", "É necessário um telefone, um e-mail ou um id de usuário do canal."},
	"merge_into_itself":             {"A contact cannot be merged into itself.", "Um contato não pode ser mesclado nele mesmo."},
	"merge_choice_invalid":          {"Must be the id of the target or of one of the sourceIds.", "Deve ser o id do contato mantido ou de um dos sourceIds."},
	"merge_source_is_main":          {"Other contacts are linked to this one; unlink them before merging it away.", "Outros contatos estão vinculados a este; desvincule-os antes de mesclá-lo."},
	"merge_too_many_tags":           {"Merged, the contact would have more than {max} tags.", "Mesclado, o contato teria mais de {max} etiquetas."},
	"bulk_target_required":          {"Give exactly one of ids, filter or all.", "Informe exatamente um entre ids, filter e all."},
	"must_be_true":                  {"Must be true.", "Deve ser true."},
	"all_outside_wallet":            {"You see only your own contacts: delete them by ids or a filter.", "Você vê apenas os seus contatos: exclua-os por ids ou por um filtro."},
	"duplicate_column":              {"Another column already maps to this field.", "Outra coluna já corresponde a este campo."},
	"column_not_found":              {"The file has no such column.", "O arquivo não tem esta coluna."},
	"column_unknown":                {"Unknown column.", "Coluna desconhecida."},
	"no_known_columns":              {"No column of the file is a name, phone or email (give a mapping).", "Nenhuma coluna do arquivo é nome, telefone ou e-mail (informe um mapeamento)."},
	"file_name_invalid":             {"Must be a file name of 1 to 200 characters, without slashes.", "Deve ser um nome de arquivo de 1 a 200 caracteres, sem barras."},
	"file_type_unsupported":         {"Must be a .csv, .txt or .xlsx file.", "Deve ser um arquivo .csv, .txt ou .xlsx."},
	"duplicate_in_file":             {"Same phone or email as line {line} of the file.", "Mesmo telefone ou e-mail da linha {line} do arquivo."},
	"import_not_found":              {"No contact with this phone or email (mode update).", "Nenhum contato com este telefone ou e-mail (modo atualizar)."},
	"import_exists":                 {"A contact with this phone or email exists (mode create).", "Já existe um contato com este telefone ou e-mail (modo criar)."},
	"import_unchanged":              {"Nothing to change.", "Nada a alterar."},
	"import_row_truncated":          {"This row is cut short in this report (long cells end with …).", "Esta linha aparece cortada neste relatório (células longas terminam com …)."},
	"options_required":              {"A select field needs at least one option.", "Um campo de seleção precisa de pelo menos uma opção."},
}

// Message renders the message for code in lang, filling {param} placeholders.
// An unknown code renders as the code itself.
func Message(lang Language, code string, params map[string]string) string {
	m, ok := catalog[code]
	if !ok {
		return code
	}
	text := m.en
	if lang == Portuguese {
		text = m.pt
	}
	for k, v := range params {
		text = strings.ReplaceAll(text, "{"+k+"}", v)
	}
	return text
}
